# cmake -DIN=file -DOUT=file.c -DNAME=symbol -P embed.cmake:
# write IN as a C string constant NAME (the embedded default configuration).
file(READ ${IN} text HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" text "${text}")
file(WRITE ${OUT} "/* generated from ${IN}; do not edit */\nconst char ${NAME}[] = \"${text}\";\n")
