package org.vim4j;

/**
 * What a model's load-time warm-up did ({@link VimModel#warmUpResult()}): for a service's readiness check or its
 * start-up log.
 *
 * @param mode          the warm-up that ran
 * @param forwards      forwards run (0: none; QUICK: 0 or 1, by backend)
 * @param steady        whether a {@link WarmUp#STEADY} warm-up settled (false where it stopped at its limits, and for
 *                      the other modes)
 * @param nanos         the warm-up's wall time
 * @param fastestNanos  its fastest forward (0 without forwards)
 */
public record WarmUpResult(WarmUp mode, int forwards, boolean steady, long nanos, long fastestNanos) {
}
