#include <stdio.h>
int main(void) { puts("stageguard"); return 0; }
