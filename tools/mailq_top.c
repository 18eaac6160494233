/*
 * mailq_top.c -- the bounded top-N counter (see mailq_top.h):
 * Space-Saving over a min-heap of counts and a linear-probing hash of
 * keys.
 */
#include <stdlib.h>
#include <string.h>

#include "mailq_top.h"

struct top_ent {
	uint64_t	 count, error, hash;
	uint32_t	 heap;		/* position in heap[] */
	uint16_t	 klen;
	char		 key[MAILQ_TOP_KEY_MAX];
};

struct mailq_top {
	size_t		 cap, n;
	uint64_t	 seed, total;
	int		 exact;
	uint32_t	 mask;
	uint32_t	*slot;		/* entry index + 1; 0 = empty */
	uint32_t	*heap;		/* entry indices, smallest count first */
	struct top_ent	*ent;
};

static uint64_t
top_hash(const struct mailq_top *t, const char *s, size_t n)
{
	uint64_t	 h = 0xcbf29ce484222325ULL ^ t->seed;
	size_t		 i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	/* splitmix64's finaliser: the low bits index the table */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

struct mailq_top *
mailq_top_new(size_t capacity, uint64_t seed)
{
	struct mailq_top	*t;
	size_t			 slots = 16;

	if (capacity == 0 || capacity > (1U << 24))
		return NULL;
	while (slots < capacity * 2)
		slots <<= 1;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->cap = capacity;
	t->seed = seed;
	t->exact = 1;
	t->mask = (uint32_t)(slots - 1);
	t->slot = calloc(slots, sizeof(*t->slot));
	t->heap = calloc(capacity, sizeof(*t->heap));
	t->ent = calloc(capacity, sizeof(*t->ent));
	if (t->slot == NULL || t->heap == NULL || t->ent == NULL) {
		mailq_top_free(t);
		return NULL;
	}
	return t;
}

void
mailq_top_free(struct mailq_top *t)
{
	if (t == NULL)
		return;
	free(t->slot);
	free(t->heap);
	free(t->ent);
	free(t);
}

static void
heap_swap(struct mailq_top *t, uint32_t a, uint32_t b)
{
	uint32_t	 x = t->heap[a];

	t->heap[a] = t->heap[b];
	t->heap[b] = x;
	t->ent[t->heap[a]].heap = a;
	t->ent[t->heap[b]].heap = b;
}

static void
heap_down(struct mailq_top *t, uint32_t i)
{
	uint32_t	 l, r, m;

	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < t->n && t->ent[t->heap[l]].count <
		    t->ent[t->heap[m]].count)
			m = l;
		if (r < t->n && t->ent[t->heap[r]].count <
		    t->ent[t->heap[m]].count)
			m = r;
		if (m == i)
			return;
		heap_swap(t, i, m);
		i = m;
	}
}

static void
heap_up(struct mailq_top *t, uint32_t i)
{
	while (i > 0 && t->ent[t->heap[(i - 1) / 2]].count >
	    t->ent[t->heap[i]].count) {
		heap_swap(t, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

/* Remove entry idx from the hash (backward-shift deletion). */
static void
hash_del(struct mailq_top *t, uint32_t idx)
{
	uint32_t	 i, j, k;

	i = (uint32_t)t->ent[idx].hash & t->mask;
	while (t->slot[i] != idx + 1)
		i = (i + 1) & t->mask;
	j = i;
	for (;;) {
		j = (j + 1) & t->mask;
		if (t->slot[j] == 0)
			break;
		k = (uint32_t)t->ent[t->slot[j] - 1].hash & t->mask;
		/* stays if its home k lies cyclically in (i, j] */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		t->slot[i] = t->slot[j];
		i = j;
	}
	t->slot[i] = 0;
}

void
mailq_top_add(struct mailq_top *t, const char *key, size_t len)
{
	struct top_ent	*e;
	uint64_t	 h;
	uint32_t	 i, idx;

	if (len > MAILQ_TOP_KEY_MAX - 1)
		len = MAILQ_TOP_KEY_MAX - 1;
	t->total++;
	h = top_hash(t, key, len);
	for (i = (uint32_t)h & t->mask; t->slot[i] != 0; i = (i + 1) & t->mask) {
		e = &t->ent[t->slot[i] - 1];
		if (e->hash == h && e->klen == len &&
		    memcmp(e->key, key, len) == 0) {
			e->count++;
			heap_down(t, e->heap);
			return;
		}
	}
	if (t->n < t->cap) {
		idx = (uint32_t)t->n++;
		e = &t->ent[idx];
		e->count = 1;
		e->error = 0;
		e->heap = idx;
		t->heap[idx] = idx;
	} else {
		/* Replace the smallest: its count becomes the new error. */
		idx = t->heap[0];
		e = &t->ent[idx];
		hash_del(t, idx);
		t->exact = 0;
		e->error = e->count;
		e->count++;
	}
	e->hash = h;
	e->klen = (uint16_t)len;
	memcpy(e->key, key, len);
	e->key[len] = '\0';
	for (i = (uint32_t)h & t->mask; t->slot[i] != 0; i = (i + 1) & t->mask)
		;
	t->slot[i] = idx + 1;
	if (e->count == 1)
		heap_up(t, e->heap);
	else
		heap_down(t, e->heap);
}

/* Does (ca, ka) rank before (cb, kb)?  Larger count first, then the key. */
static int
rank_before(uint64_t ca, const char *ka, uint64_t cb, const char *kb)
{
	if (ca != cb)
		return ca > cb;
	return strcmp(ka, kb) < 0;
}

size_t
mailq_top_get(const struct mailq_top *t, struct mailq_top_entry *out,
    size_t n)
{
	const struct top_ent	*e;
	size_t			 i, j, got = 0;

	/* Insertion into the sorted out[]: n is small (a screenful). */
	for (i = 0; i < t->n && n > 0; i++) {
		e = &t->ent[i];
		for (j = got; j > 0; j--) {
			if (!rank_before(e->count, e->key, out[j - 1].count,
			    out[j - 1].key))
				break;
			if (j < n)
				out[j] = out[j - 1];
		}
		if (j >= n)
			continue;
		out[j].key = e->key;
		out[j].count = e->count;
		out[j].error = e->error;
		if (got < n)
			got++;
	}
	return got;
}

int
mailq_top_exact(const struct mailq_top *t)
{
	return t->exact;
}

uint64_t
mailq_top_total(const struct mailq_top *t)
{
	return t->total;
}
