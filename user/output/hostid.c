#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include "hostid.h"
#include "json.h"

static int read_boot_id(const char *path, char out[37])
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(out, 1, 36, f);
	fclose(f);
	out[n] = '\0';
	/* A boot id is a UUID: 36 characters. */
	return n == 36 ? 0 : -EINVAL;
}

/*
 * Rendered once: every line may end with it. In memory, so a host name of
 * escapes (six bytes for each control byte) is kept whole.
 */
int host_id_render(struct host_id *h)
{
	struct outbuf ob;
	int err = outbuf_init(&ob, -1, 128);

	if (err)
		return err;
	outbuf_puts(&ob, ",\"host\":");
	json_put_string(&ob, h->host, strlen(h->host));
	outbuf_puts(&ob, ",\"boot_id\":");
	json_put_string(&ob, h->boot_id, strlen(h->boot_id));
	err = -outbuf_error(&ob);
	free(h->fields_json);
	h->fields_json = err ? NULL : strndup(ob.buf, ob.len);
	outbuf_free(&ob);
	if (!err && !h->fields_json)
		err = -ENOMEM;
	return err;
}

int host_id_read(struct host_id *h, const char *boot_id_path)
{
	struct utsname u;
	int err;

	*h = (struct host_id){ 0 };
	if (uname(&u)) {
		err = -errno;
		fprintf(stderr, "proclife: cannot read the host name: %s\n", strerror(-err));
		return err;
	}
	snprintf(h->host, sizeof(h->host), "%s", u.nodename);
	snprintf(h->kernel, sizeof(h->kernel), "%s", u.release);
	err = read_boot_id(boot_id_path, h->boot_id);
	if (err) {
		fprintf(stderr, "proclife: cannot read the boot id from %s: %s\n", boot_id_path,
			strerror(-err));
		return err;
	}
	err = host_id_render(h);
	if (err)
		fprintf(stderr, "proclife: cannot read the host's identity: %s\n", strerror(-err));
	return err;
}

void host_id_free(struct host_id *h)
{
	free(h->fields_json);
	h->fields_json = NULL;
}
