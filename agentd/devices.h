/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Disks and network cards of a VM (docs/verged.md, "Disks and network
 * cards"). A VM's devices are two JSON arrays, stored as they are
 * (store.c, table devices):
 *
 *   disk: {"path", "format": "raw"|"qcow2", "size" (bytes the guest
 *          sees), "readonly", "snapshot", "overlay" (booleans), and for
 *          an overlay "overlay_path", the qcow2 file verged made}
 *   nic:  {"mode": "user", "mac", "hostfwd": ["tcp:127.0.0.1:2222-:22"],
 *          "restrict"} or {"mode": "tap", "mac", "bridge", "hostfwd": []}
 *
 * QEMU never opens an image by its path: verged opens each one with the
 * credentials of the caller who defined the VM and hands QEMU the file
 * descriptor (-add-fd), naming every block node and its format itself,
 * so neither a guest-written header nor a backing-file name in an image
 * can make QEMU open another file.
 */
#ifndef VERGED_DEVICES_H
#define VERGED_DEVICES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#define DEV_DISKS_MAX	8
#define DEV_NICS_MAX	4
/* file descriptors a VM's QEMU gets: a base and an overlay per disk, a
 * tap device per network card */
#define DEV_FDS_MAX	(2 * DEV_DISKS_MAX + DEV_NICS_MAX)

struct vm;

/*
 * A disk as given to vm.define or vm.disk.add: the CLI's spec
 * "PATH[,format=raw|qcow2][,readonly][,snapshot][,overlay]" or an object
 * with those keys. *ret is a new object {path, format (or absent),
 * readonly, snapshot, overlay}. 0, or -EINVAL with why filled.
 */
int dev_disk_parse(json_t *in, json_t **ret, char *why, size_t n);
/*
 * A network card: "user[,hostfwd=PROTO:ADDR:PORT-[GADDR]:GPORT]...
 * [,restrict]", "tap,bridge=NAME" (either with ",mac=MAC") or
 * {"mode", "hostfwd": [...], "restrict", "bridge", "mac"}. A MAC is made
 * (52:54:00:xx:xx:xx) unless one is given. 0, or -EINVAL with why filled.
 */
int dev_nic_parse(json_t *in, json_t **ret, char *why, size_t n);
/*
 * vm.define: the tap cards of nics from index from on can be made: verged
 * runs as root and each bridge exists. 0, or -EPERM / -ENOENT with why.
 */
int dev_nics_check(const json_t *nics, size_t from, char *why, size_t n);
/* The name of the tap device of card i of a VM: vg<VM id>n<i>. */
void dev_tap_name(const struct vm *vm, size_t i, char *buf, size_t n);

/* What an image's first bytes say (the qcow2 header, else raw). */
struct dev_image {
	const char *format;	/* "raw" or "qcow2" */
	uint64_t size;		/* bytes the guest sees */
	bool backing;		/* qcow2 naming a backing file */
	bool encrypted;		/* qcow2 with an encryption method */
};
/* 0, or -EINVAL (why filled: not an image verged accepts) / -errno. */
int dev_image_probe(int fd, struct dev_image *ret, char *why, size_t n);

/*
 * vm.define / vm.disk.add: checks each disk of *disks (parsed) with the
 * caller's credentials, fills format and size, makes the overlays (in
 * state_dir/disks, named after uuid and the disk's index). 0, or a
 * negative errno with why filled (nothing left behind).
 */
int dev_disks_prepare(json_t *disks, size_t from, const char *state_dir,
		      const char *uuid, uid_t uid, gid_t gid,
		      const gid_t *groups, int ngroups, char *why, size_t n);
/* Removes the overlay files verged made for these disks. */
void dev_disks_remove_files(json_t *disks, size_t from);

/* The descriptors of one start of a VM, in the order QEMU numbers them,
 * and which of them are qcow2 images still to check (their paths). */
struct dev_fds {
	int fd[DEV_FDS_MAX];
	int n;
	int check[DEV_FDS_MAX];		/* indexes in fd */
	char *check_path[DEV_FDS_MAX];
	int ncheck;
};
/*
 * vm_start: opens every disk of the VM (the base with the owner's
 * credentials, overlays as verged; a snapshot gets a fresh overlay in the
 * run directory, unlinked once open), refusing an image another VM holds
 * against this use (a running VM of this verged, or QEMU's lock), and
 * notes the qcow2 images dev_check_images() is to check; then makes a
 * tap device on its bridge for each tap card (it goes when the last
 * descriptor of it closes: when QEMU exits). 0, or a negative errno with
 * why filled and nothing left open.
 */
int dev_open_all(const struct vm *vm, struct dev_fds *fds, char *why,
		 size_t n);
void dev_close_all(struct dev_fds *fds);

/*
 * qemu-img check of the qcow2 images dev_open_all left in fds->check, one
 * after the other, off verged's loop: each qemu-img is a child whose
 * output the loop reads through a pipe. 0: nothing to check, fds as they
 * were. 1: under way; fds moved into the check (the caller's copy is
 * empty) and done(vm, fds, 0 or a negative errno, why) is called once,
 * from the loop, with them; done owns them then. Negative errno: why
 * filled, fds closed. vm->checking is set while a check runs.
 */
typedef void (*dev_check_cb)(struct vm *vm, struct dev_fds *fds, int e,
			     const char *why);
int dev_check_images(struct vm *vm, struct dev_fds *fds, dev_check_cb done,
		     char *why, size_t n);
/* Stops the check of vm (its qemu-img killed), done not called. */
void dev_check_cancel(struct vm *vm);
/* How many descriptors dev_open_all gives for these devices. */
int dev_fd_count(const json_t *disks, const json_t *nics);
/* Does any network card need the host's network namespace (user mode)? */
bool dev_needs_host_net(const json_t *nics);

/*
 * The QEMU options for the devices: add(arg) for each, the descriptors
 * numbered from first_fd in struct dev_fds order. 0 or -ENOMEM.
 */
int dev_qemu_args(const json_t *disks, const json_t *nics, int first_fd,
		  int (*add)(void *ctx, const char *arg), void *ctx);
#endif
