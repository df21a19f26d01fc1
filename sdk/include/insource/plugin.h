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
 *     any instance of it lives.
 *   - insource_host, the parameter values and the fact values handed to
 *     create()/evaluate() are owned by the host and valid only for the
 *     duration of that call; a plugin that wants to keep a string copies it.
 *   - insource_vote.rationale and insource_vote.message are owned by the
 *     instance and must stay valid until the next call on that instance
 *     (evaluate or destroy). The host copies what it keeps.
 *   - create()'s error text is written into the host's buffer (err, err_size),
 *     truncated and always NUL-terminated.
 *
 * Threading
 *   The host never calls one instance from two threads at once: it makes one
 *   instance per worker thread. Different instances (of the same plugin) may
 *   run at the same time, so a plugin must not share mutable state between
 *   instances without its own synchronisation. The entry function and the
 *   descriptor are read from any thread.
 *
 * Errors
 *   Every function that can fail returns an insource_status. A non-zero
 *   status from evaluate() is a fault of that plugin on that case; the host
 *   reports it with the plugin's name and insource_vote.message. A plugin must
 *   never let a C++ exception or a longjmp leave one of these functions.
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
  /* Host-side context for log(); opaque to the plugin; valid for the life of the instance. */
  void* log_context;
  /* Logs one line (NUL-terminated, copied by the host). May be called from any
   * thread that is running a call on one of this plugin's instances. */
  void (*log)(void* log_context, uint32_t level, const char* message);
} insource_host;

/* Flags for evaluate(). */
#define INSOURCE_EVAL_RATIONALE 1u /* the host wants a rationale; without it the plugin may skip formatting */

/* What evaluate() writes. The host zeroes it before each call. */
typedef struct insource_vote {
  double score;          /* in [-1, +1]: +1 argues for insourcing, -1 for outsourcing */
  uint32_t abstain;      /* 1 when none of the criterion's facts is present */
  uint32_t reserved;
  const char* rationale; /* NUL-terminated sentence with the figures used; owned by the instance */
  const char* message;   /* on a non-OK status: what went wrong; owned by the instance */
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
   * Makes an instance. params[i] is the value of params decl i (the rules' value
   * or the declared default; never ABSENT). On failure returns non-OK, writes a
   * message into err and leaves *instance untouched.
   */
  int32_t (*create)(const insource_host* host, const insource_value* params, size_t param_count,
                    void** instance, char* err, size_t err_size);

  /*
   * Votes on one case. facts[i] is the case's value of fact decl i, or ABSENT
   * (defaults are NOT filled in: the plugin tells "absent" from "given").
   * flags: INSOURCE_EVAL_*.
   */
  int32_t (*evaluate)(void* instance, const insource_value* facts, size_t fact_count,
                      uint32_t flags, insource_vote* vote);

  /* Frees an instance. Never fails. */
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
