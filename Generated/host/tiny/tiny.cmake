# tiny.cmake - the generated model 'tiny' as a static library target (written by gen; do not edit).
#
#   include(path/to/tiny/tiny.cmake)
#   target_link_libraries(app PRIVATE tiny)
#
add_library(tiny STATIC ${CMAKE_CURRENT_LIST_DIR}/tiny.c)
target_include_directories(tiny PUBLIC ${CMAKE_CURRENT_LIST_DIR})
set_target_properties(tiny PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
