# digits_mlp.cmake - the generated model 'digits_mlp' as a static library target (written by gen; do not edit).
#
#   include(path/to/digits_mlp/digits_mlp.cmake)
#   target_link_libraries(app PRIVATE digits_mlp)
#
add_library(digits_mlp STATIC ${CMAKE_CURRENT_LIST_DIR}/digits_mlp.c)
target_include_directories(digits_mlp PUBLIC ${CMAKE_CURRENT_LIST_DIR})
set_target_properties(digits_mlp PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
# The float wrapper's softmax calls expf.
target_link_libraries(digits_mlp PUBLIC m)
