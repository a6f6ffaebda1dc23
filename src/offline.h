/*
 * offline.h: the subcommands that run without a server, dispatched from
 * main(): `tinyhook review ...` and `tinyhook manifests ...`. Each returns
 * the process exit code.
 */
#ifndef TINYHOOK_OFFLINE_H
#define TINYHOOK_OFFLINE_H

int	review_cli(int argc, char **argv);
int	manifests_cli(int argc, char **argv);

#endif
