"""Running one call in many threads at the same instant, for tests of rules that must hold under a burst."""

import threading


def in_parallel(count: int, call) -> list:
    """call(n) for n in range(count), each in its own thread, all released at once; the results in order.

    An exception a call raised is its result, for the test to count or report.
    """
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(n):
        barrier.wait()
        try:
            results[n] = call(n)
        except Exception as error:
            results[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
