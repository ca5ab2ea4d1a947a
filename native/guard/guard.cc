// mtest_guard: interrupt a synchronous JavaScript call on the main thread from another thread, cheaply.
//
// node:vm offers the same through `timeout` / `breakOnSigint`, but it starts and joins a watchdog thread
// for every call (25-300 µs per example); here the watchdog is one long-lived worker thread and
// a guarded call costs a mutex and a function call. The mechanism is vm's own: TerminateExecution from the
// watchdog, then CancelTerminateExecution where the guarded call returns, so the termination never leaves
// the guarded call and the rest of the process goes on.
//
// It also holds what --serial needs from the operating system that Node does not give, all of it safe to
// call while BLAS threads run: posix_spawn (no fork, so no atfork handler such as OpenBLAS's, which joins
// its busy threads and deadlocks), a private copy of a descriptor, signals noted from any thread, becoming
// the reaper of orphaned descendants, and _exit from the watchdog thread once the report is written.
#include <node.h>
#include <v8.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/syscall.h>

extern char** environ;

#if defined(__linux__) && defined(__x86_64__)
// Node's own V8 exports it (Node's SIGSEGV handler calls it) but ships no header declaring it.
namespace v8 {
bool TryHandleWebAssemblyTrapPosix(int sig_code, siginfo_t* info, void* context);
}
#define MTEST_WASM_TRAPS 1
#endif

namespace {

std::mutex mu;
v8::Isolate* guarded_isolate = nullptr;  // the isolate inside a guarded call, if any
bool requested = false;                  // interrupt() terminated the current guarded call

// A whole number in [min, max] at argument i; otherwise a TypeError (not a number) or RangeError is thrown
// and false returned. Never a cast of NaN or of a double out of the integer's range.
bool IntegerArg(const v8::FunctionCallbackInfo<v8::Value>& info, int i, const char* what, double min, double max, int64_t* out) {
  v8::Isolate* isolate = info.GetIsolate();
  if (info.Length() <= i || !info[i]->IsNumber()) {
    std::string message = std::string(what) + " must be a number";
    isolate->ThrowException(v8::Exception::TypeError(v8::String::NewFromUtf8(isolate, message.c_str()).ToLocalChecked()));
    return false;
  }
  const double d = info[i].As<v8::Number>()->Value();
  if (!(d >= min && d <= max) || d != std::floor(d)) {
    std::string message = std::string(what) + " must be a whole number from " + std::to_string(static_cast<int64_t>(min)) + " to " +
                          std::to_string(static_cast<int64_t>(max));
    isolate->ThrowException(v8::Exception::RangeError(v8::String::NewFromUtf8(isolate, message.c_str()).ToLocalChecked()));
    return false;
  }
  *out = static_cast<int64_t>(d);
  return true;
}

// call(fn, arg, sentinel): fn(arg); returns `sentinel` when interrupted, rethrows what fn throws.
void Call(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (info.Length() < 3 || !info[0]->IsFunction()) {
    isolate->ThrowException(v8::Exception::TypeError(v8::String::NewFromUtf8Literal(isolate, "call(fn, arg, sentinel)")));
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    if (guarded_isolate != nullptr) {
      isolate->ThrowException(v8::Exception::Error(v8::String::NewFromUtf8Literal(isolate, "guarded calls do not nest")));
      return;
    }
    guarded_isolate = isolate;
    requested = false;
  }
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Value> argv[1] = {info[1]};
  v8::TryCatch try_catch(isolate);
  v8::MaybeLocal<v8::Value> result = info[0].As<v8::Function>()->Call(context, v8::Undefined(isolate), 1, argv);
  bool interrupted;
  {
    std::lock_guard<std::mutex> lock(mu);
    guarded_isolate = nullptr;
    interrupted = requested;
    requested = false;
    // Also clears a termination requested after fn returned but before the lock: it must not fire later.
    if (interrupted) isolate->CancelTerminateExecution();
  }
  if (interrupted) {
    info.GetReturnValue().Set(info[2]);
    return;
  }
  if (try_catch.HasCaught()) {
    try_catch.ReThrow();
    return;
  }
  v8::Local<v8::Value> value;
  if (result.ToLocal(&value)) info.GetReturnValue().Set(value);
}

// interrupt(): terminate the guarded call in progress, from any thread. Returns whether there was one.
void Interrupt(const v8::FunctionCallbackInfo<v8::Value>& info) {
  bool done = false;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (guarded_isolate != nullptr && !requested) {
      requested = true;
      guarded_isolate->TerminateExecution();  // thread-safe by V8's contract
      done = true;
    }
  }
  info.GetReturnValue().Set(done);
}

// dieWithParent(ppid): the kernel kills this process when its parent dies, even while its main thread is
// stuck in native code; and at once if that parent (ppid) is already gone. A pool worker uses it.
void DieWithParent(const v8::FunctionCallbackInfo<v8::Value>& info) {
  int64_t ppid = 0;
  if (!IntegerArg(info, 0, "dieWithParent(ppid): ppid", 1, INT32_MAX, &ppid)) return;
  const pid_t expected = static_cast<pid_t>(ppid);
  bool armed = prctl(PR_SET_PDEATHSIG, SIGKILL) == 0;
  if (getppid() != expected) kill(getpid(), SIGKILL);  // the parent died before the call
  info.GetReturnValue().Set(armed);
}


// Install `handler` (SA_SIGINFO) for each of `count` signals, keeping what was installed before in `saved`.
void InstallHandlers(const int* signals, int count, void (*handler)(int, siginfo_t*, void*), int flags, bool block_all, struct sigaction* saved) {
  for (int k = 0; k < count; k++) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = handler;
    action.sa_flags = SA_SIGINFO | flags;
    if (block_all) sigfillset(&action.sa_mask);
    else sigemptyset(&action.sa_mask);
    sigaction(signals[k], &action, &saved[k]);
  }
}

// ---- signals noted from any thread ----

constexpr int kWatched[] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction previous[3];
std::atomic<int> signal_count{0};
bool watching = false;

void OnSignal(int signo, siginfo_t* info, void* context) {
  signal_count.fetch_add(1);
  for (int k = 0; k < 3; k++) {
    if (kWatched[k] != signo) continue;
    const struct sigaction& prev = previous[k];
    if (prev.sa_flags & SA_SIGINFO) {
      if (prev.sa_sigaction) prev.sa_sigaction(signo, info, context);
    } else if (prev.sa_handler != SIG_IGN && prev.sa_handler != SIG_DFL && prev.sa_handler) {
      prev.sa_handler(signo);
    }
  }
}

// watchSignals(): from now on SIGINT, SIGTERM and SIGHUP are counted here before the handler installed
// before (Node's, which wakes the main thread's event loop) runs; so another thread can tell a signal
// arrived while the main thread is stuck. Call it after JavaScript listens for those signals.
void WatchSignals(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!watching) {
    watching = true;
    InstallHandlers(kWatched, 3, OnSignal, SA_RESTART, true, previous);
  }
  info.GetReturnValue().Set(true);
}

// ---- a crash of the main thread, seen from another ----

constexpr int kCrashes[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
std::atomic<int> crash_signal{0};
pid_t crash_thread = 0;
struct sigaction before_crashes[5];
bool watching_crashes = false;

void OnCrash(int signo, siginfo_t* info, void* context) {
#ifdef MTEST_WASM_TRAPS
  // WebAssembly bounds checks fault on purpose; V8 resumes them.
  if ((signo == SIGSEGV || signo == SIGBUS) && v8::TryHandleWebAssemblyTrapPosix(signo, info, context)) return;
#endif
  int expected = 0;
  if (static_cast<pid_t>(syscall(SYS_gettid)) != crash_thread || !crash_signal.compare_exchange_strong(expected, signo)) {
    // Another thread, or a second crash: die as the default action would.
    signal(signo, SIG_DFL);
    raise(signo);
    return;
  }
  // The main thread waits here for good; the watchdog thread sees crashed() and ends the run with its report.
  for (;;) pause();
}

// watchCrashes(): a fatal signal on the calling (main) thread parks that thread instead of ending the
// process, so that the watchdog thread can finish the report and exit with the run's bits. WebAssembly
// traps still go to V8; a fault on any other thread still ends the process.
void WatchCrashes(const v8::FunctionCallbackInfo<v8::Value>& info) {
  crash_thread = static_cast<pid_t>(syscall(SYS_gettid));
  if (!watching_crashes) {
    watching_crashes = true;
    InstallHandlers(kCrashes, 5, OnCrash, SA_ONSTACK, false, before_crashes);
  }
  info.GetReturnValue().Set(true);
}

// unwatchCrashes(): the handlers from before watchCrashes() again (no watchdog thread is left to finish a
// report, so a fatal signal must end the process as before).
void UnwatchCrashes(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (watching_crashes) {
    watching_crashes = false;
    for (int k = 0; k < 5; k++) sigaction(kCrashes[k], &before_crashes[k], nullptr);
  }
  info.GetReturnValue().Set(true);
}

// crashed(): the fatal signal that parked the main thread, 0 while none has.
void Crashed(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(crash_signal.load());
}

// signalCount(): how many watched signals arrived (cheap enough to ask before every example).
void SignalCount(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(signal_count.load());
}

// ---- processes and descriptors ----

// spawnCapture(argv, timeoutMs): run argv[0] (a path) with argv, stdin /dev/null, stdout and stderr into
// one pipe, LC_ALL=C; returns {status, output} (status -1 when killed at the time limit or not started).
// posix_spawn, never fork: the caller may have busy BLAS threads.
void SpawnCapture(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  if (info.Length() < 2 || !info[0]->IsArray() || !info[1]->IsNumber()) {
    isolate->ThrowException(v8::Exception::TypeError(v8::String::NewFromUtf8Literal(isolate, "spawnCapture(argv, timeoutMs)")));
    return;
  }
  v8::Local<v8::Array> list = info[0].As<v8::Array>();
  int64_t timeout_ms = 0;
  if (!IntegerArg(info, 1, "spawnCapture(argv, timeoutMs): timeoutMs", 0, 24.0 * 3600 * 1000, &timeout_ms)) return;
  std::vector<std::string> args;
  for (uint32_t k = 0; k < list->Length(); k++) {
    // An element's getter (or a Proxy) may throw: that exception goes back to the caller, with no spawn.
    v8::Local<v8::Value> element;
    if (!list->Get(context, k).ToLocal(&element)) return;
    if (!element->IsString()) {
      isolate->ThrowException(v8::Exception::TypeError(v8::String::NewFromUtf8Literal(isolate, "spawnCapture(argv, timeoutMs): argv must hold strings")));
      return;
    }
    v8::String::Utf8Value arg(isolate, element);
    args.emplace_back(*arg ? *arg : "");
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_store;
  for (char** e = environ; *e; e++) {
    if (strncmp(*e, "LC_ALL=", 7) != 0) env_store.emplace_back(*e);
  }
  env_store.emplace_back("LC_ALL=C");
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);

  int fds[2];
  std::string output;
  int status = -1;
  if (args.empty() || pipe2(fds, O_CLOEXEC) != 0) {
    info.GetReturnValue().Set(v8::Null(isolate));
    return;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  pid_t pid = -1;
  int failed = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (failed == 0) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    bool killed = false;
    char buffer[65536];
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) {
        kill(pid, SIGKILL);
        killed = true;
        break;
      }
      struct pollfd p = {fds[0], POLLIN, 0};
      int ready = poll(&p, 1, static_cast<int>(left));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) continue;
      ssize_t n = read(fds[0], buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      if (output.size() < (16u << 20)) output.append(buffer, static_cast<size_t>(n));
    }
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    if (!killed && WIFEXITED(wstatus)) status = WEXITSTATUS(wstatus);
  }
  close(fds[0]);
  v8::Local<v8::Object> result = v8::Object::New(isolate);
  result->Set(context, v8::String::NewFromUtf8Literal(isolate, "status"), v8::Integer::New(isolate, status)).Check();
  result->Set(context, v8::String::NewFromUtf8Literal(isolate, "output"),
              v8::String::NewFromUtf8(isolate, output.data(), v8::NewStringType::kNormal, static_cast<int>(output.size())).ToLocalChecked())
      .Check();
  info.GetReturnValue().Set(result);
}

// dup(fd): a private descriptor for the same open file (close-on-exec, numbered 10 or above), -1 on error.
// mtest writes its report there, so an example that closes fd 1 does not take the report with it.
void Dup(const v8::FunctionCallbackInfo<v8::Value>& info) {
  int64_t fd = 0;
  if (!IntegerArg(info, 0, "dup(fd): fd", 0, INT32_MAX, &fd)) return;
  info.GetReturnValue().Set(fcntl(static_cast<int>(fd), F_DUPFD_CLOEXEC, 10));
}

// becomeSubreaper(): orphaned descendants are re-parented to this process instead of init, so that the
// processes an example started stay findable through their parent PIDs even after their own parent exited.
void BecomeSubreaper(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
}

// umask(mask): set the process's file mode creation mask from any thread (Node allows it on the main thread
// only); returns the one before. The watchdog thread sets mtest's own before it writes the report.
void SetUmask(const v8::FunctionCallbackInfo<v8::Value>& info) {
  int64_t mask = 0;
  if (!IntegerArg(info, 0, "umask(mask): mask", 0, 0777, &mask)) return;
  info.GetReturnValue().Set(static_cast<int>(umask(static_cast<mode_t>(mask))));
}

// exitNow(code): end the process at once with that status, from any thread (no atexit handlers: they could
// wait for the stuck main thread).
void ExitNow(const v8::FunctionCallbackInfo<v8::Value>& info) {
  int64_t code = 0;
  if (!IntegerArg(info, 0, "exitNow(code): code", 0, 255, &code)) return;
  _exit(static_cast<int>(code));
}

}  // namespace

// Context-aware: the watchdog worker thread loads this module too.
NODE_MODULE_INIT(/* exports, module, context */) {
  v8::Isolate* isolate = context->GetIsolate();
  const struct {
    const char* name;
    v8::FunctionCallback fn;
  } functions[] = {{"call", Call}, {"interrupt", Interrupt}, {"dieWithParent", DieWithParent}, {"watchSignals", WatchSignals},
                   {"signalCount", SignalCount}, {"spawnCapture", SpawnCapture}, {"dup", Dup}, {"becomeSubreaper", BecomeSubreaper},
                   {"exitNow", ExitNow}, {"umask", SetUmask}, {"watchCrashes", WatchCrashes}, {"unwatchCrashes", UnwatchCrashes}, {"crashed", Crashed}};
  for (const auto& f : functions) {
    exports->Set(context, v8::String::NewFromUtf8(isolate, f.name).ToLocalChecked(), v8::FunctionTemplate::New(isolate, f.fn)->GetFunction(context).ToLocalChecked()).Check();
  }
}
