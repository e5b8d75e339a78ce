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

/* Rendered once: every line may end with it. */
static char *render_fields(const struct host_id *h)
{
	struct outbuf ob;
	char *s;

	if (outbuf_init(&ob, -1, 4 * sizeof(h->host) + 64))
		return NULL;
	outbuf_puts(&ob, ",\"host\":");
	json_put_string(&ob, h->host, strlen(h->host));
	outbuf_puts(&ob, ",\"boot_id\":");
	json_put_string(&ob, h->boot_id, strlen(h->boot_id));
	s = strndup(ob.buf, ob.len);
	outbuf_free(&ob);
	return s;
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
	h->fields_json = render_fields(h);
	if (!h->fields_json) {
		fprintf(stderr, "proclife: cannot read the host's identity: %s\n", strerror(ENOMEM));
		return -ENOMEM;
	}
	return 0;
}

void host_id_free(struct host_id *h)
{
	free(h->fields_json);
	h->fields_json = NULL;
}
