/*
 * insource plugin ABI, version 1.x.
 *
 * This header is the whole contract between the insource host and a criterion
 * plugin. It is plain C (C99 and C++), so a plugin may be built with another
 * compiler, another C++ standard library or another language than the host.
 * Nothing of C++ crosses the boundary: no exceptions, no std:: types, no
 * allocation that the other side must free.
 *
 * A plugin is a shared library that exports one symbol, INSOURCE_ENTRY_SYMBOL,
 * a function returning a pointer to a static insource_plugin_descriptor.
 *
 * Versioning
 *   abi_major changes when an existing field changes meaning, type or offset;
 *   the host refuses a plugin whose major it does not speak.
 *   abi_minor grows when fields are appended to the END of
 *   insource_plugin_descriptor; the descriptor's struct_size tells the host
 *   which fields exist, so a plugin built against an older minor still loads.
 *   The element structs (insource_fact_decl, insource_param_decl,
 *   insource_value, insource_vote) are frozen within a major.
 *
 * Ownership and lifetimes
 *   - The descriptor and everything it points to (strings, fact and parameter
 *     arrays) are owned by the plugin and must stay valid and unchanged for as
 *     long as the library is loaded. The host keeps the library loaded while
 *     any instance of it lives, and destroys every instance before it unloads
 *     the library (see destroy()).
 *   - insource_host, the parameter values and the fact values handed to
 *     create()/evaluate() are owned by the host and valid only for the
 *     duration of that call; a plugin that wants to keep a string copies it.
 *   - insource_vote.rationale and insource_vote.message are owned by the
 *     instance and must stay valid until the next call on that instance
 *     (evaluate or destroy). The host copies what it keeps before it makes
 *     that call.
 *   - create()'s error text is written into the host's buffer (err, err_size),
 *     truncated and always NUL-terminated.
 *   - The host may load a plugin from a private in-memory copy of its file
 *     (what was hashed for a pin is what runs), so dladdr() and the like may
 *     name /proc/self/fd/N or "memfd:insource:<file>": a plugin must not look
 *     for data files beside its own library.
 *
 * Threading
 *   An instance is created, used and destroyed on one thread: the thread that
 *   calls create() for it is the thread that calls every evaluate() on it and
 *   its destroy(), so an instance may keep state in thread_local storage. The
 *   host makes one instance per thread that decides cases (`batch --jobs N`:
 *   one per job; `serve`: one per server thread; an isolated plugin: one per
 *   worker process, called on its one thread), and one short-lived trial
 *   instance when the policy loads, to judge the parameters. Different
 *   instances of one plugin may run at the same time on different threads,
 *   so a plugin must not share mutable state between instances without its
 *   own synchronisation. The entry function and the descriptor are read from
 *   any thread.
 *
 * Text
 *   Every string a plugin hands the host (names and descriptions in the
 *   descriptor, rationale, message, create()'s err, log lines) is UTF-8.
 *   The host does not trust that: any byte sequence that is not valid UTF-8
 *   is written out as U+FFFD (the replacement character) in every output,
 *   JSON and text alike, and never makes a record invalid.
 *
 * Errors
 *   Every function that can fail returns an insource_status. A non-zero
 *   status from evaluate() is a fault of that plugin on that case; the host
 *   reports it with the plugin's name and insource_vote.message, and the
 *   criterion's on_error (rules) decides what the fault does to the case. A
 *   plugin must never let a C++ exception or a longjmp leave one of these
 *   functions: that is undefined behaviour at a C boundary. The host contains
 *   what it can (an exception that reaches it from create() fails the load,
 *   or the cases, naming the plugin; from evaluate() it is a fault on that
 *   case), but only isolation (--isolate) contains a plugin that crashes.
 */
#ifndef INSOURCE_PLUGIN_H
#define INSOURCE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define INSOURCE_ABI_MAJOR 1
#define INSOURCE_ABI_MINOR 0

/* The one symbol a plugin exports. */
#define INSOURCE_ENTRY_SYMBOL "insource_plugin_entry"

#if defined(_WIN32)
#define INSOURCE_PLUGIN_EXPORT __declspec(dllexport)
#else
#define INSOURCE_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* Status codes returned across the boundary. */
typedef enum insource_status {
  INSOURCE_OK = 0,
  INSOURCE_ERR_INVALID_ARGUMENT = 1, /* a fact or parameter value it cannot use */
  INSOURCE_ERR_MISSING_FACT = 2,     /* a required fact is absent */
  INSOURCE_ERR_OUT_OF_MEMORY = 3,
  INSOURCE_ERR_INTERNAL = 4,         /* a bug in the plugin, e.g. a caught exception */
  INSOURCE_ERR_UNSUPPORTED = 5       /* the host asked for something it cannot do */
} insource_status;

/* The type of a fact or parameter, and the kind of a value (ABSENT only for values). */
typedef enum insource_type {
  INSOURCE_ABSENT = 0,
  INSOURCE_NUMBER = 1, /* a finite double */
  INSOURCE_STRING = 2, /* UTF-8 bytes, not necessarily NUL-terminated: use length */
  INSOURCE_BOOL = 3
} insource_type;

/*
 * A typed value. Read the member that `type` names; the others are
 * unspecified. `string` points at `length` bytes.
 */
typedef struct insource_value {
  uint32_t type;    /* insource_type */
  uint32_t boolean; /* 0 or 1 when type == INSOURCE_BOOL */
  double number;    /* when type == INSOURCE_NUMBER */
  const char* string;
  size_t length;
} insource_value;

/* Fact flags. */
#define INSOURCE_FACT_REQUIRED 1u      /* needed whenever the criterion votes */
#define INSOURCE_FACT_MIN_EXCLUSIVE 2u /* the value must be > min rather than >= min */

/*
 * A fact the plugin reads. The position of a fact in the plugin's array is its
 * index in the values that evaluate() receives.
 */
typedef struct insource_fact_decl {
  const char* name;        /* dotted, e.g. "cost.hours" */
  uint32_t type;           /* INSOURCE_NUMBER, INSOURCE_STRING or INSOURCE_BOOL */
  uint32_t flags;          /* INSOURCE_FACT_* */
  insource_value fallback; /* the default when absent; type INSOURCE_ABSENT = none */
  const char* const* allowed; /* strings: NULL-terminated list of allowed values, or NULL = any */
  double min;              /* numbers: lower bound (see MIN_EXCLUSIVE); -HUGE_VAL = none */
  double max;              /* numbers: upper bound, inclusive; HUGE_VAL = none */
  const char* unit;        /* e.g. "hours", or NULL */
  const char* description; /* one line, or NULL */
} insource_fact_decl;

/* A parameter the plugin takes from the rules file. */
typedef struct insource_param_decl {
  const char* name;
  uint32_t type;           /* INSOURCE_NUMBER, INSOURCE_STRING or INSOURCE_BOOL */
  uint32_t reserved;       /* 0 */
  insource_value fallback; /* the default; must be of `type` */
  const char* description;
} insource_param_decl;

/* Severity of a log line sent to the host. */
typedef enum insource_log_level {
  INSOURCE_LOG_DEBUG = 0,
  INSOURCE_LOG_INFO = 1,
  INSOURCE_LOG_WARN = 2,
  INSOURCE_LOG_ERROR = 3
} insource_log_level;

/* What the host offers a plugin. Valid only during create(); copy what you keep. */
typedef struct insource_host {
  uint32_t struct_size; /* sizeof(insource_host) as the host knows it */
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t reserved;
  /* Host-side context for log(); opaque to the plugin; valid while any
   * instance of this plugin lives (copy the pointer, not the struct). */
  void* log_context;
  /* Logs one line (NUL-terminated UTF-8, copied by the host before it
   * returns). May be called from any thread while an instance of this
   * plugin lives. */
  void (*log)(void* log_context, uint32_t level, const char* message);
} insource_host;

/* Flags for evaluate(). */
#define INSOURCE_EVAL_RATIONALE 1u /* the host wants a rationale; without it the plugin may skip formatting */

/*
 * What evaluate() writes. The host zeroes it before each call.
 *
 * A vote is one of:
 *   - abstain = 1 (status OK): the criterion has nothing to say on this case,
 *     normally because none of its facts is given. It drops out and the
 *     other criteria's weights are renormalised; score is ignored.
 *   - abstain = 0 (status OK): score is the vote. It must be a number within
 *     [score_min, score_max] of the descriptor (itself within [-1, +1]). NaN,
 *     or a score outside that range, is a fault of the plugin on that case,
 *     exactly like a non-OK status (the static checks and flip margins trust
 *     the declared range, so the host does not clamp).
 *   - a non-OK status: a fault; message says why, score and abstain are
 *     ignored.
 */
typedef struct insource_vote {
  double score;          /* in [score_min, score_max]: +1 argues for insourcing, -1 for outsourcing */
  uint32_t abstain;      /* 1 when none of the criterion's facts is present */
  uint32_t reserved;
  const char* rationale; /* NUL-terminated UTF-8 sentence with the figures used; owned by the instance; may be NULL */
  const char* message;   /* on a non-OK status: what went wrong (UTF-8); owned by the instance */
} insource_vote;

/* The descriptor. Fields are only ever appended (see Versioning). */
typedef struct insource_plugin_descriptor {
  uint32_t abi_major;   /* INSOURCE_ABI_MAJOR the plugin was built against */
  uint32_t abi_minor;   /* INSOURCE_ABI_MINOR the plugin was built against */
  uint32_t struct_size; /* sizeof(insource_plugin_descriptor) the plugin was built with */
  uint32_t reserved;

  const char* name;        /* e.g. "insource-cost" */
  const char* version;     /* the plugin's own version, e.g. "1.0.0" */
  const char* criterion;   /* the criterion it votes on, e.g. "cost" */
  const char* description; /* one line */

  const insource_fact_decl* facts;
  uint32_t fact_count;
  uint32_t param_count;
  const insource_param_decl* params;

  /* The range the score can take, for static checks (e.g. security is [0, 1]). */
  double score_min;
  double score_max;

  /*
   * Makes an instance. params[i] is the value of params decl i (the rules'
   * value or the declared default; never ABSENT), already checked by the
   * host against the declared type; params and host are valid only during
   * the call.
   * Thread: the thread that will make every later call on this instance.
   * On success returns INSOURCE_OK and stores a non-NULL instance pointer in
   * *instance (the instance is the plugin's until destroy()). On failure
   * returns non-OK, writes a UTF-8 message into err (err_size bytes, NUL
   * included) and leaves *instance untouched; the host names the plugin and
   * shows the message. Returning OK with a NULL instance is an error of the
   * plugin, reported as such.
   * When: once at policy load for a trial instance (destroyed at once), then
   * once per deciding thread. A create that fails then (after the trial one
   * worked) makes each case that needs the criterion a fault under its
   * on_error; the host is not stopped.
   */
  int32_t (*create)(const insource_host* host, const insource_value* params, size_t param_count,
                    void** instance, char* err, size_t err_size);

  /*
   * Votes on one case. facts[i] is the case's value of fact decl i, or ABSENT
   * (defaults are NOT filled in: the plugin tells "absent" from "given").
   * fact_count equals the descriptor's fact_count. flags: INSOURCE_EVAL_*.
   * What the host has checked before the call, so a plugin may rely on it:
   *   - every given value has the fact's declared type (a NUMBER is finite);
   *   - a STRING fact with an allowed list holds one of the listed values;
   *   - a NUMBER fact lies within its declared min (exclusive with
   *     INSOURCE_FACT_MIN_EXCLUSIVE) and max;
   *   - string values are valid UTF-8.
   * What it has NOT checked: that REQUIRED facts are given. A required fact
   * may arrive ABSENT; the plugin answers INSOURCE_ERR_MISSING_FACT (or
   * abstains when none of its facts is given), and the host reports it.
   * Thread: the one that created the instance; never two calls at once on
   * one instance. *vote is zeroed by the host; what it points to stays the
   * instance's (see insource_vote).
   */
  int32_t (*evaluate)(void* instance, const insource_value* facts, size_t fact_count,
                      uint32_t flags, insource_vote* vote);

  /*
   * Frees an instance. Never fails. Thread: the one that created it. Runs
   * before the library is unloaded: the host destroys every instance of a
   * plugin, then drops the library (a policy reload unloads the old
   * generation's plugins only once its last instance is gone). In a worker
   * process that is killed (a crash, a timeout) destroy does not run.
   */
  void (*destroy)(void* instance);
} insource_plugin_descriptor;

/* The type of the entry symbol. */
typedef const insource_plugin_descriptor* (*insource_plugin_entry_fn)(void);

/* The offset of the last field of ABI 1.0: a descriptor smaller than this is refused. */
#define INSOURCE_DESCRIPTOR_MIN_SIZE_1_0 \
  (offsetof(insource_plugin_descriptor, destroy) + sizeof(void (*)(void*)))

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* INSOURCE_PLUGIN_H */
