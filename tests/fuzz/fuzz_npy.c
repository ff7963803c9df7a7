/* tests/fuzz/fuzz_npy.c - shmx_npy_parse and shmx_npy_check_size on any
 * bytes, as `shmx load` and `shmx info` meet a file's first bytes.
 *
 * Properties: never a read past size (the input is exactly size bytes);
 * a refusal is SHMX_EBADNPY, SHMX_EDTYPE or SHMX_ESHAPE with a one-line
 * message, and the same code without an error struct; an accepted header
 * lies within the input, puts the data at an offset aligned for its
 * dtype, has 0-2 dimensions of at most 2^62 whose byte count fits, and
 * round-trips through shmx_npy_write_header; the size check accepts
 * exactly the data (plus the pad byte of an empty array) and nothing
 * else.
 */
#include "shmx/npy.h"
#include "fuzz.h"

#define WHAT "fuzz.npy"

static void check_refusal(const uint8_t *data, size_t size, int rc,
			  const struct shmx_error *err)
{
	struct shmx_npy_header h2;

	FUZZ_CHECK(rc == SHMX_EBADNPY || rc == SHMX_EDTYPE ||
			   rc == SHMX_ESHAPE,
		   "unexpected code %d", rc);
	fuzz_check_error(err, rc);
	FUZZ_CHECK(strncmp(err->msg, WHAT ": ", strlen(WHAT) + 2) == 0,
		   "message does not name the input: %s", err->msg);
	FUZZ_CHECK(shmx_npy_parse(data, size, WHAT, &h2, NULL) == rc,
		   "without an error struct the code differs");
}

static void check_header(const struct shmx_npy_header *h, size_t size)
{
	uint64_t bytes;
	size_t pre = h->version == 1 ? 10 : 12;

	FUZZ_CHECK(h->version >= 1 && h->version <= 3, "version %d",
		   h->version);
	FUZZ_CHECK(h->data_offset >= pre && h->data_offset <= size,
		   "data offset %llu outside the %zu bytes given",
		   (unsigned long long)h->data_offset, size);
	FUZZ_CHECK(h->data_offset - pre <= SHMX_NPY_MAX_HEADER,
		   "header of %llu bytes",
		   (unsigned long long)(h->data_offset - pre));
	FUZZ_CHECK((unsigned)h->dtype < SHMX_DTYPE_COUNT, "dtype %d",
		   (int)h->dtype);
	FUZZ_CHECK(h->data_offset % shmx_dtype_size(h->dtype) == 0,
		   "data at %llu misaligned for %s",
		   (unsigned long long)h->data_offset,
		   shmx_dtype_name(h->dtype));
	FUZZ_CHECK(h->shape.ndim >= 0 && h->shape.ndim <= SHMX_MAX_NDIM,
		   "ndim %d", h->shape.ndim);
	for (int i = 0; i < h->shape.ndim; i++)
		FUZZ_CHECK(h->shape.dim[i] <= UINT64_C(1) << 62,
			   "dim %d is %llu, above 2^62", i,
			   (unsigned long long)h->shape.dim[i]);
	for (int i = h->shape.ndim; i < SHMX_MAX_NDIM; i++)
		FUZZ_CHECK(h->shape.dim[i] == 0, "unused dim %d is set", i);
	FUZZ_CHECK(shmx_shape_bytes(&h->shape, h->dtype, &bytes) == 0 &&
			   bytes == h->data_bytes,
		   "data_bytes %llu disagrees with the shape",
		   (unsigned long long)h->data_bytes);
}

/* What shmx writes for this dtype and shape parses back to them. */
static void check_round_trip(const struct shmx_npy_header *h)
{
	static unsigned char img[SHMX_NPY_DATA_OFFSET];
	struct shmx_npy_header back;
	struct shmx_error err = { 0 };
	int rc;

	shmx_npy_write_header(img, h->dtype, &h->shape);
	rc = shmx_npy_parse(img, sizeof(img), WHAT, &back, &err);
	FUZZ_CHECK(rc == 0, "own header refused: %s", err.msg);
	FUZZ_CHECK(back.dtype == h->dtype && back.version == 1 &&
			   back.data_offset == SHMX_NPY_DATA_OFFSET &&
			   back.data_bytes == h->data_bytes &&
			   memcmp(&back.shape, &h->shape, sizeof(back.shape)) == 0,
		   "write/parse round trip differs");
}

static void check_size_of(const struct shmx_npy_header *h, uint64_t file)
{
	struct shmx_error err = { 0 };
	uint64_t want = h->data_offset + h->data_bytes; /* both < 2^62 */
	int ok = file == want || (h->data_bytes == 0 && file == want + 1);
	int rc = shmx_npy_check_size(h, file, WHAT, &err);

	FUZZ_CHECK(ok ? rc == 0 : rc == SHMX_ESIZE,
		   "check_size(%llu) of data at %llu + %llu gave %d",
		   (unsigned long long)file, (unsigned long long)h->data_offset,
		   (unsigned long long)h->data_bytes, rc);
	if (rc)
		fuzz_check_error(&err, rc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shmx_npy_header h;
	struct shmx_error err = { 0 };
	int rc = shmx_npy_parse(data, size, WHAT, &h, &err);
	uint64_t want;

	if (rc) {
		check_refusal(data, size, rc, &err);
		return 0;
	}
	check_header(&h, size);
	check_round_trip(&h);
	want = h.data_offset + h.data_bytes;
	check_size_of(&h, size); /* the input as the whole file */
	check_size_of(&h, want);
	check_size_of(&h, want + 1);
	check_size_of(&h, want - 1);
	check_size_of(&h, h.data_offset);
	check_size_of(&h, 0);
	check_size_of(&h, UINT64_MAX);
	return 0;
}
