/* A library with none of the CUDA runtime's functions, shipped under a CUDA runtime's name: the
 * collector must say it cannot probe it, and carry on. */
int scope_not_cuda(void) { return 0; }
