# Project-wide warnings: everything we compile is -Wall -Wextra -Werror.
add_compile_options(-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
                    -Wmissing-prototypes -Wformat=2 -Wvla)
add_compile_definitions(_GNU_SOURCE)
