// Placeholder; replaced by the jobs work.
int main() { return 0; }
