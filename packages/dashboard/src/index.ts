// @archy/dashboard: the status page's assets, built at build time.
