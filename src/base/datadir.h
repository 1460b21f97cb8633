#ifndef MM_DATADIR_H
#define MM_DATADIR_H

/*
 * The data root holding flows/, help/ and demo/: $MESHMEDIC_DATADIR if set,
 * the source tree when the binary runs from its build tree, else the
 * installed $(pkgdatadir). New string.
 */
char *data_root(void);

/* The bundled demo: its incident answers and its snapshot directory (new strings). */
void demo_paths(char **incident, char **snapshot);

#endif
