/*
 * Views of the whole model: a pstree-like text tree, the list of zombies,
 * and the JSON snapshot line from which a consumer that joins a stream
 * late (or a replay) rebuilds the model (docs/schema.md).
 */
#ifndef PL_TREE_H
#define PL_TREE_H

#include <stdint.h>
#include "format.h"
#include "model.h"

/* Each returns 0, or -ENOMEM with nothing written. now_ns dates zombie ages. */
/* The text tree, or in JSON the snapshot line. */
int tree_print(struct formatter *f, const struct model *m, uint64_t now_ns);
/* The leaked zombies (older than the model's threshold) as a table or zombie lines. */
int tree_print_zombies(struct formatter *f, const struct model *m, uint64_t now_ns);
int tree_snapshot_json(struct formatter *f, const struct model *m, uint64_t now_ns);

#endif
