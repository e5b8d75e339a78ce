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

/*
 * A snapshot line stays within what log shippers take in one message: a big
 * host's model is split into parts of at most this many bytes, newline
 * included, each with the same snapshot_id and its part number.
 */
#define TREE_SNAPSHOT_PART_MAX (64 << 10)

/* Each returns 0, or -ENOMEM with nothing written. now_ns dates zombie ages. */
/* The text tree, or in JSON the snapshot line. */
int tree_print(struct formatter *f, const struct model *m, uint64_t now_ns);
/* The leaked zombies (older than the model's threshold) as a table or zombie lines. */
int tree_print_zombies(struct formatter *f, const struct model *m, uint64_t now_ns);
int tree_snapshot_json(struct formatter *f, const struct model *m, uint64_t now_ns);

#endif
