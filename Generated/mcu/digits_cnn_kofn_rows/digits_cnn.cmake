# digits_cnn.cmake - the generated model 'digits_cnn' as a static library target (written by gen; do not edit).
#
#   include(path/to/digits_cnn/digits_cnn.cmake)
#   target_link_libraries(app PRIVATE digits_cnn)
#
add_library(digits_cnn STATIC ${CMAKE_CURRENT_LIST_DIR}/digits_cnn.c)
target_include_directories(digits_cnn PUBLIC ${CMAKE_CURRENT_LIST_DIR})
set_target_properties(digits_cnn PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
# The float wrapper's softmax calls expf.
target_link_libraries(digits_cnn PUBLIC m)
