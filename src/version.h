/*
 * version.h: the build's identity, for --version, logs, metrics and
 * manifests: the compiled policy's name and the hash of its file (set by the
 * Makefile), and the version (git describe).
 */
#ifndef TINYHOOK_VERSION_H
#define TINYHOOK_VERSION_H

extern const char policy_name[];
extern const char policy_hash[];

#endif
