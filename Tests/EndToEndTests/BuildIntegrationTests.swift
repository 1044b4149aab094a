// EndToEndTests/BuildIntegrationTests.swift - The Makefile fragment and the CMake file build a firmware-style app.

import Foundation
import Testing

@Suite("Build integration files")
struct BuildIntegrationTests {
    static let app = """
        #include <stdio.h>
        #include "digits_mlp.h"

        int main(void)
        {
            static float input[DIGITS_MLP_INPUT_SIZE];
            static float output[DIGITS_MLP_OUTPUT_SIZE];
            int i, best = 0;
            for (i = 0; i < DIGITS_MLP_INPUT_SIZE; ++i) {
                input[i] = (float)(i % 7) / 7.0f;
            }
            digits_mlp_infer_f32(input, output);
            for (i = 1; i < DIGITS_MLP_OUTPUT_SIZE; ++i) {
                if (output[i] > output[best]) {
                    best = i;
                }
            }
            printf("class %d\\n", best);
            return 0;
        }

        """

    func generate(into directory: String) throws {
        let result = try Shell.run(
            [Paths.genExecutable, "Examples/digits_mlp.json", "--target", "host", "-o", directory + "/model/digits_mlp",
             "--quiet"], in: Paths.root)
        try #require(result.status == 0, "\(result.stderr)")
        try Self.app.write(toFile: directory + "/main.c", atomically: true, encoding: .utf8)
    }

    @Test("make with the generated .mk fragment builds and runs an app")
    func makefile() throws {
        let directory = Paths.temporaryDirectory("make")
        try generate(into: directory)
        let makefile = """
            include model/digits_mlp/digits_mlp.mk
            CFLAGS += $(DIGITS_MLP_CFLAGS) -Wall -Wextra -Werror
            app: main.o $(DIGITS_MLP_OBJECTS)
            \t$(CC) $(LDFLAGS) -o $@ $^ $(DIGITS_MLP_LDLIBS)

            """
        try makefile.write(toFile: directory + "/Makefile", atomically: true, encoding: .utf8)
        let build = try Shell.run(["make", "-s", "app"], in: directory)
        #expect(build.status == 0, "\(build.stdout)\(build.stderr)")
        let run = try Shell.run(["./app"], in: directory)
        #expect(run.status == 0 && run.stdout.hasPrefix("class "), "\(run.stdout)")
    }

    @Test("cmake with the generated .cmake file builds and runs an app")
    func cmake() throws {
        try #require(Shell.has("cmake"), "cmake is needed: run Scripts/setup.sh")
        let directory = Paths.temporaryDirectory("cmake")
        try generate(into: directory)
        let lists = """
            cmake_minimum_required(VERSION 3.13)
            project(app C)
            include(model/digits_mlp/digits_mlp.cmake)
            add_executable(app main.c)
            target_link_libraries(app PRIVATE digits_mlp)

            """
        try lists.write(toFile: directory + "/CMakeLists.txt", atomically: true, encoding: .utf8)
        // cmake (libuv) waits for SIGCHLD, which the test process may have blocked; start it with an
        // empty signal mask.
        let unblock = ["perl", "-MPOSIX", "-e", "sigprocmask(SIG_SETMASK, POSIX::SigSet->new()); exec @ARGV"]
        let configure = try Shell.run(unblock + ["cmake", "-S", ".", "-B", "build"], in: directory)
        #expect(configure.status == 0, "\(configure.stderr)")
        let build = try Shell.run(unblock + ["cmake", "--build", "build"], in: directory)
        #expect(build.status == 0, "\(build.stdout)\(build.stderr)")
        let run = try Shell.run(["./build/app"], in: directory)
        #expect(run.status == 0 && run.stdout.hasPrefix("class "), "\(run.stdout)")
    }
}
