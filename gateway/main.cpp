#include <cstdio>
int main() { std::puts("floe: nothing yet"); return 0; }
