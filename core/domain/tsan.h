#pragma once

// ThreadSanitizer annotations for hand-overs it cannot see. Qt from the distribution is not built with TSan: its
// event queue (queued calls, QThreadPool) synchronises under futex-based mutexes, so whatever one thread hands to
// another through it would be reported as racing. The sender releases, the receiver acquires, on one address.
// Without TSan these compile to nothing.

#if defined(__SANITIZE_THREAD__)
#define TOLLGATE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TOLLGATE_TSAN 1
#endif
#endif

#ifdef TOLLGATE_TSAN
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace tollgate::tsan {

#ifdef TOLLGATE_TSAN
inline char handoff;
inline void released() { __tsan_release(&handoff); }
inline void acquired() { __tsan_acquire(&handoff); }
#else
inline void released() { }
inline void acquired() { }
#endif

} // namespace tollgate::tsan
