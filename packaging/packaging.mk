# Install, uninstall and the Debian package. `make install PREFIX=/usr/local
# DESTDIR=` puts the binary, the man page proclife(8), the systemd unit, the
# logrotate snippet, the docs (schema, metrics, alerts) and the rsyslog example
# in place; `make deb` builds $(DEB), stripped, and its debug symbols in
# proclife-dbgsym, with debhelper's tools from the same `make install`.

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/proclife
UNITDIR ?= $(PREFIX)/lib/systemd/system
# logrotate reads only /etc/logrotate.d, whatever the prefix.
SYSCONFDIR ?= /etc

MAN := $(OUTPUT)/proclife.8
# The contracts an operator builds on: the JSON schema, the metrics, alert rules.
DOCS := schema.md metrics.md alerts.yml
# Examples stay out of /etc: installing an agent must not change what the
# host's rsyslog does (docs/fleet.md says how to enable it).
EXAMPLEDIR := $(DOCDIR)/examples
INSTALLED := $(SBINDIR)/proclife $(MANDIR)/man8/proclife.8 $(UNITDIR)/proclife.service \
	$(SYSCONFDIR)/logrotate.d/proclife $(addprefix $(DOCDIR)/,$(DOCS)) $(EXAMPLEDIR)/rsyslog.conf

DEB_ARCH = $(shell dpkg --print-architecture)
DEB_DIR := $(OUTPUT)/deb
DEB = $(OUTPUT)/proclife_$(VERSION)_$(DEB_ARCH).deb

.PHONY: man install uninstall deb

man: $(MAN)
tests: $(MAN)

$(MAN): docs/proclife.8.scd
	$(call msg,SCDOC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)scdoc < $< > $@.tmp && mv $@.tmp $@

# The unit names the binary where this install puts it.
install: $(OUTPUT)/proclife $(MAN)
	$(Q)sed 's|@SBINDIR@|$(SBINDIR)|g' packaging/proclife.service.in > $(OUTPUT)/proclife.service
	$(Q)install -D -m 0755 $(OUTPUT)/proclife $(DESTDIR)$(SBINDIR)/proclife
	$(Q)install -D -m 0644 $(MAN) $(DESTDIR)$(MANDIR)/man8/proclife.8
	$(Q)install -D -m 0644 $(OUTPUT)/proclife.service $(DESTDIR)$(UNITDIR)/proclife.service
	$(Q)install -D -m 0644 packaging/proclife.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/proclife
	$(Q)install -d -m 0755 $(DESTDIR)$(DOCDIR)
	$(Q)install -m 0644 $(addprefix docs/,$(DOCS)) $(DESTDIR)$(DOCDIR)/
	$(Q)install -D -m 0644 packaging/proclife.rsyslog.conf $(DESTDIR)$(EXAMPLEDIR)/rsyslog.conf

# Removes what install put there; of the directories, only proclife's own.
uninstall:
	$(Q)rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	$(Q)! [ -d $(DESTDIR)$(EXAMPLEDIR) ] || rmdir $(DESTDIR)$(EXAMPLEDIR)
	$(Q)! [ -d $(DESTDIR)$(DOCDIR) ] || rmdir $(DESTDIR)$(DOCDIR)

# debian/proclife is the package's tree, as debhelper expects: dh_strip moves
# the debug symbols into proclife-dbgsym, dh_shlibdeps and dh_gencontrol derive
# Depends from the binary's libraries and Installed-Size from the tree. The
# changelog holds just this build; a native package ships it as changelog.gz.
DEB_DOC := $(DEB_DIR)/debian/proclife/usr/share/doc/proclife
deb: $(OUTPUT)/proclife $(MAN)
	$(call msg,DEB,$(DEB))
	$(Q)rm -rf $(DEB_DIR)
	$(Q)$(MAKE) --no-print-directory install PREFIX=/usr DESTDIR=$(abspath $(DEB_DIR))/debian/proclife
	$(Q)gzip -9n $(DEB_DIR)/debian/proclife/usr/share/man/man8/proclife.8
	$(Q)install -m 0644 packaging/debian/copyright $(DEB_DOC)/copyright
	$(Q)install -d -m 0755 $(DEB_DIR)/debian/proclife/DEBIAN
	$(Q)install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm \
		$(DEB_DIR)/debian/proclife/DEBIAN/
	$(Q)echo $(SYSCONFDIR)/logrotate.d/proclife > $(DEB_DIR)/debian/proclife/DEBIAN/conffiles
	$(Q)cp packaging/debian/control $(DEB_DIR)/debian/control
	$(Q)printf 'proclife (%s) unstable; urgency=medium\n\n  * Built from commit %s.\n\n -- %s  %s\n' \
		'$(VERSION)' '$(PROCLIFE_COMMIT)' "$$(sed -n 's/^Maintainer: //p' packaging/debian/control)" \
		"$$(date -R -d @$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || date +%s)})" \
		> $(DEB_DIR)/debian/changelog
	$(Q)gzip -9nc $(DEB_DIR)/debian/changelog > $(DEB_DOC)/changelog.gz
	$(Q)cd $(DEB_DIR) && dh_strip && dh_shlibdeps && dh_gencontrol && dh_md5sums && \
		dh_builddeb --destdir=$(abspath $(OUTPUT)) >/dev/null
