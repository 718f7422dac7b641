// dtload.h: opens libdaftorch.so (dt.cpp built by the Makefile) at run
// time and points the trampolines of dtload.c at its functions.
#ifndef DAFSCRIPT_DTLOAD_H
#define DAFSCRIPT_DTLOAD_H

// dtl_open loads the library at path (RTLD_NOW | RTLD_LOCAL) and resolves
// every function of dt.h. It returns NULL on success, else a message that
// the caller frees with free(); the trampolines must not be called then.
char *dtl_open(const char *path);

// The functions of dt.h that dtload.c has trampolines for, for tests:
// dtl_name(i) for i < dtl_count(), and whether the trampoline calls into
// the library (resolved to a function that is not the trampoline itself).
int dtl_count(void);
const char *dtl_name(int i);
int dtl_resolved(int i);

#endif
