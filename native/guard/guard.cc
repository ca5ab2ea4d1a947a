// mtest_guard: interrupt a synchronous JavaScript call on the main thread from another thread, cheaply.
//
// node:vm offers the same through `timeout` / `breakOnSigint`, but it starts and joins a watchdog thread
// for every call (measured: 25-300 us per example); here the watchdog is one long-lived worker thread and
// a guarded call costs a mutex and a function call. The mechanism is vm's own: TerminateExecution from the
// watchdog, then CancelTerminateExecution where the guarded call returns, so the termination never leaves
// the guarded call and the rest of the process goes on.
#include <node.h>
#include <v8.h>

#include <mutex>

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace {

std::mutex mu;
v8::Isolate* guarded_isolate = nullptr;  // the isolate inside a guarded call, if any
bool requested = false;                  // interrupt() terminated the current guarded call

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
  v8::Isolate* isolate = info.GetIsolate();
  if (info.Length() < 1 || !info[0]->IsNumber()) {
    isolate->ThrowException(v8::Exception::TypeError(v8::String::NewFromUtf8Literal(isolate, "dieWithParent(ppid)")));
    return;
  }
  const pid_t expected = static_cast<pid_t>(info[0].As<v8::Number>()->Value());
  bool armed = prctl(PR_SET_PDEATHSIG, SIGKILL) == 0;
  if (getppid() != expected) kill(getpid(), SIGKILL);  // the parent died before the call
  info.GetReturnValue().Set(armed);
}

}  // namespace

// Context-aware: the watchdog worker thread loads this module too.
NODE_MODULE_INIT(/* exports, module, context */) {
  v8::Isolate* isolate = context->GetIsolate();
  exports->Set(context, v8::String::NewFromUtf8Literal(isolate, "call"), v8::FunctionTemplate::New(isolate, Call)->GetFunction(context).ToLocalChecked()).Check();
  exports->Set(context, v8::String::NewFromUtf8Literal(isolate, "interrupt"), v8::FunctionTemplate::New(isolate, Interrupt)->GetFunction(context).ToLocalChecked()).Check();
  exports->Set(context, v8::String::NewFromUtf8Literal(isolate, "dieWithParent"), v8::FunctionTemplate::New(isolate, DieWithParent)->GetFunction(context).ToLocalChecked()).Check();
}
