/* engine/exec/perfctl.h - bracketing the compute phase for
 * `perf stat --control fifo:CTL[,ACK]`, so that counters see only it.
 *
 * The protocol, as the pool runs it:
 *
 *   parent                         perf                  workers
 *   shmx__perf_ctl_open  -------   has both FIFOs open
 *   gate closed, fork workers                            wait at the gate
 *   "enable\n"  on CTL  ------->   counters on
 *               on ACK  <-------   "ack\n"
 *   open the gate  ------------------------------------> compute
 *   ... reap the last worker ...
 *   "disable\n" on CTL  ------->   counters off
 *               on ACK  <-------   "ack\n"
 *
 * Without an ACK FIFO the parent does not wait for acks.  Without perf
 * control the gate is open from the start.  The gate is a 32-bit word in
 * the control page (exec/claim.h); workers sleep on it with a futex. */
#ifndef SHMX_ENGINE_PERFCTL_H
#define SHMX_ENGINE_PERFCTL_H

#include <stdint.h>
#include "shmx/error.h"

struct shmx__perf_ctl {
	int ctl_fd; /* perf's control FIFO, opened for writing */
	int ack_fd; /* its ack FIFO opened for reading, or -1 */
};

/* Open "CTL[,ACK]" (FIFO paths) for perf's control.  Blocks until perf
 * has the other ends open.  0 or SHMX_EUSAGE (message filled; nothing
 * left open, both fds -1). */
int shmx__perf_ctl_open(const char *spec, struct shmx__perf_ctl *pc,
			struct shmx_error *err);
/* Close what is open; both fds -1 after. */
void shmx__perf_ctl_close(struct shmx__perf_ctl *pc);

/* Send "enable" ("disable") and wait for the ack when there is an ack
 * FIFO.  pc NULL: nothing to do, 0.  Otherwise 0, or a negative errno
 * with "--perf-ctl: cannot write: ..." or "--perf-ctl: no ack from
 * perf".  Goes on after EINTR. */
int shmx__perf_enable(const struct shmx__perf_ctl *pc, struct shmx_error *err);
int shmx__perf_disable(const struct shmx__perf_ctl *pc,
		       struct shmx_error *err);

/* The start gate, before fork: closed when perf control is on (pc not
 * NULL), so workers wait for the counters; open otherwise. */
void shmx__perf_gate_init(_Atomic uint32_t *gate,
			  const struct shmx__perf_ctl *pc);
/* In a worker: return once the gate is open. */
void shmx__perf_gate_wait(_Atomic uint32_t *gate);
/* In the parent: open the gate and wake every worker waiting at it. */
void shmx__perf_gate_open(_Atomic uint32_t *gate);

#endif
