# digits_cnn_wide.cmake - the generated model 'digits_cnn_wide' as a static library target (written by gen; do not edit).
#
#   include(path/to/digits_cnn_wide/digits_cnn_wide.cmake)
#   target_link_libraries(app PRIVATE digits_cnn_wide)
#
add_library(digits_cnn_wide STATIC ${CMAKE_CURRENT_LIST_DIR}/digits_cnn_wide.c)
target_include_directories(digits_cnn_wide PUBLIC ${CMAKE_CURRENT_LIST_DIR})
set_target_properties(digits_cnn_wide PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
# The float wrapper's softmax calls expf.
target_link_libraries(digits_cnn_wide PUBLIC m)
