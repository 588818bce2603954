/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Turning a libFuzzer input into decisions: each take_*() consumes bytes
 * from the front and returns 0 once the input is used up, so every input,
 * however short, is a valid (and finite) test case.
 */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

struct input {
	const uint8_t *p;
	size_t left;
};

static inline uint64_t take(struct input *in, unsigned int bytes)
{
	uint64_t v = 0;

	while (bytes--) {
		v <<= 8;
		if (in->left) {
			v |= *in->p++;
			in->left--;
		}
	}
	return v;
}

/* A value in [0, n), n > 0 */
static inline uint64_t take_below(struct input *in, uint64_t n)
{
	unsigned int bytes = 1;

	while (bytes < 8 && (n - 1) >> (8 * bytes))
		bytes++;
	return take(in, bytes) % n;
}

#endif /* FUZZ_INPUT_H */
