/*
 * Who wrote a trace: pid keys are unique only within one boot of one host,
 * so a fleet's lines carry the host name and the kernel's boot id
 * (docs/schema.md, the start line and --host-fields).
 */
#ifndef PL_HOSTID_H
#define PL_HOSTID_H

#define HOSTID_BOOT_ID "/proc/sys/kernel/random/boot_id"

struct host_id {
	char host[65];		/* uname's nodename */
	char boot_id[37];	/* "9b2c...-...": a new one each boot */
	char kernel[65];	/* uname's release */
	char *fields_json;	/* ,"host":"...","boot_id":"..." for the end of a line */
};

/* Reads them (boot_id_path: HOSTID_BOOT_ID); 0 or -errno, reported on stderr. */
int host_id_read(struct host_id *h, const char *boot_id_path);
/* fields_json from host and boot_id as they stand; 0 or -ENOMEM. */
int host_id_render(struct host_id *h);
void host_id_free(struct host_id *h);

#endif
