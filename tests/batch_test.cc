// insource batch: order across threads, one record per input record on mixed
// input, compact and detail records against decide, CSV and YAML inputs, and
// the progress bar staying off a pipe.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "service/batch.h"
#include "io/record_format.h"
#include "io/report.h"
#include "test_util.h"

namespace insource {
namespace {

namespace fs = std::filesystem;

fs::path temp_file(const std::string& name, const std::string& text) {
  fs::path p = test::scratch_dir() / ("batch-" + name);
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Runs run_batch over `input`, returning the output text.
std::string batch(const std::shared_ptr<const Policy>& p, const std::string& input, BatchOptions o,
                  BatchStats* stats = nullptr) {
  fs::path in = temp_file("in", input), out = test::scratch_dir() / "batch-out";
  int in_fd = ::open(in.c_str(), O_RDONLY);
  int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  BatchStats s = run_batch(p, in_fd, out_fd, o);
  ::close(in_fd);
  ::close(out_fd);
  if (stats) *stats = s;
  return read_file(out);
}

// N generated cases, the same for a seed, as JSON Lines (tools/gen_cases.py).
std::string generated(int n, int seed = 2429) {
  std::string cmd = "/usr/bin/python3 " + std::string(INSOURCE_SOURCE_DIR) + "/tools/gen_cases.py " + std::to_string(n) +
                    " --seed " + std::to_string(seed);
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  char buf[65536];
  size_t k;
  while ((k = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, k);
  EXPECT_EQ(pclose(f), 0);
  return out;
}

TEST(Batch, OrderIsKeptAcrossThreadsAndChunks) {
  auto p = test::default_policy();
  std::string input = generated(20000);
  BatchOptions one;
  one.jobs = 1;
  BatchOptions many;
  many.jobs = 4;
  many.chunk_bytes = 4096;  // hundreds of chunks finishing out of order
  std::string a = batch(p, input, one), b = batch(p, input, many);
  EXPECT_EQ(a, b);
  auto lines = lines_of(b);
  ASSERT_EQ(lines.size(), 20000u);
  for (size_t i = 0; i < lines.size(); i += 997) {
    char id[32];
    std::snprintf(id, sizeof id, "\"id\":\"case-%07zu\"", i);
    EXPECT_NE(lines[i].find(id), std::string::npos) << lines[i];
  }
}

TEST(Batch, CompactRecordsAgreeWithDecide) {
  auto p = test::default_policy();
  std::string input = generated(500, 11);
  auto out = lines_of(batch(p, input, BatchOptions{}));
  auto cases = read_cases(input, "gen.jsonl", p->schema());
  ASSERT_EQ(out.size(), cases.size());
  Evaluator e(p);
  Decision d;
  for (size_t i = 0; i < cases.size(); ++i) {
    ASSERT_TRUE(cases[i].value) << cases[i].error;
    e.decide(*cases[i].value, &d, true);
    auto full = decision_json(*p, *cases[i].value, d);
    auto compact = nlohmann::json::parse(out[i]);
    EXPECT_EQ(compact["id"], full["id"]);
    EXPECT_EQ(compact["verdict"], full["verdict"]);
    // The compact record rounds to 12 decimals: within 5e-13 of decide's full precision.
    EXPECT_NEAR(compact["total"].get<double>(), full["total"].get<double>(), 5e-13);
    EXPECT_EQ(compact["rule"], full["rule"]);
    for (auto& [name, c] : full["criteria"].items()) {
      if (c.contains("abstained")) {
        EXPECT_TRUE(compact["scores"][name].is_null()) << name;
      } else {
        EXPECT_NEAR(compact["scores"][name].get<double>(), c["score"].get<double>(), 5e-13) << name;
      }
    }
  }
}

TEST(Batch, DetailRecordsAreDecidesRecords) {
  auto p = test::default_policy();
  std::string input = generated(200, 5);
  BatchOptions o;
  o.detail = true;
  o.jobs = 2;
  auto out = lines_of(batch(p, input, o));
  auto cases = read_cases(input, "gen.jsonl", p->schema());
  ASSERT_EQ(out.size(), cases.size());
  Evaluator e(p);
  Decision d;
  for (size_t i = 0; i < cases.size(); ++i) {
    e.decide(*cases[i].value, &d, true);
    EXPECT_EQ(out[i], decision_json(*p, *cases[i].value, d).dump());
  }
}

TEST(Batch, OneRecordPerLineOnMixedInputWithLineNumbers) {
  auto p = test::policy_from("insource: 1\ncriteria: {cost: {weight: 1}, faulty: {weight: 1}}\n", {"faulty"});
  std::string input =
      "{\"id\":\"good-1\",\"facts\":{\"faulty\":{\"mode\":\"ok\"}}}\n"     // 1
      "{\"id\":\"broken\",\"facts\":{\n"                                   // 2: malformed
      "\n"                                                                 // 3: empty
      "{\"id\":\"typo\",\"facts\":{\"faulty\":{\"mdoe\":\"ok\"}}}\n"       // 4: unknown fact
      "{\"id\":\"boom\",\"facts\":{\"faulty\":{\"mode\":\"throw\"}}}\n"    // 5: plugin throws
      "{\"id\":\"nan\",\"facts\":{\"faulty.mode\":\"nan\"}}\r\n"           // 6: NaN score, CRLF
      "[1,2,3]\n"                                                          // 7: not an object
      "{\"id\":\"num\",\"facts\":{\"cost\":{\"hours\":\"12\"}}}\n"         // 8: wrong type
      "{\"id\":\"good-2\",\"facts\":{}}";                                  // 9: no newline at the end
  for (int jobs : {1, 3}) {
    BatchOptions o;
    o.jobs = jobs;
    o.chunk_bytes = 64;
    BatchStats s;
    auto out = lines_of(batch(p, input, o, &s));
    // The blank line 3 is no case and no error: 8 records for 9 lines.
    ASSERT_EQ(out.size(), 8u) << jobs;
    std::vector<nlohmann::json> r;
    for (const auto& l : out) r.push_back(nlohmann::json::parse(l));
    r.insert(r.begin() + 2, nlohmann::json());  // keep the indexes by line below
    EXPECT_EQ(r[0]["verdict"], "insource");
    EXPECT_EQ(r[1]["line"], 2);
    EXPECT_EQ(r[1]["error"]["kind"], "parse");
    EXPECT_EQ(r[1]["id"], "line-2");  // a line that is not JSON has no id to read: the default
    EXPECT_EQ(r[3]["id"], "typo");
    EXPECT_EQ(r[3]["line"], 4);
    EXPECT_EQ(r[3]["error"]["kind"], "case");
    EXPECT_EQ(r[3]["error"]["message"], "unknown fact 'faulty.mdoe' (did you mean 'faulty.mode'?)");
    EXPECT_EQ(r[4]["error"]["kind"], "plugin");
    EXPECT_NE(r[4]["error"]["message"].get<std::string>().find("deliberate failure"), std::string::npos);
    EXPECT_EQ(r[5]["line"], 6);
    EXPECT_EQ(r[5]["error"]["kind"], "plugin");
    EXPECT_EQ(r[6]["error"]["kind"], "case");
    EXPECT_EQ(r[6]["id"], "line-7");  // no id: the default names the line
    EXPECT_EQ(r[7]["error"]["message"], "fact cost.hours must be a number, not the string \"12\"");
    EXPECT_EQ(r[8]["id"], "good-2");
    EXPECT_EQ(r[8]["verdict"], "review");
    EXPECT_EQ(s.records, 8u);
    EXPECT_EQ(s.errors, 6u);
    EXPECT_EQ(s.parse_errors + s.case_errors + s.plugin_errors, s.errors);
    EXPECT_EQ(s.verdicts[static_cast<int>(Verdict::kInsource)], 1u);
  }
}

TEST(Batch, ARecordOverTheLimitBecomesAnErrorAndTheNextOneStillCounts) {
  auto p = test::default_policy();
  std::string big = "{\"id\":\"big\",\"title\":\"" + std::string(5000, 'x') + "\",\"facts\":{}}";
  std::string input = "{\"id\":\"a\",\"facts\":{}}\n" + big + "\n{\"id\":\"b\",\"facts\":{}}\n";
  // A small chunk: the reader finds no end within the limit; a big one: the
  // whole record is in the chunk and the worker refuses it.
  for (size_t chunk : {size_t{256}, size_t{1} << 16}) {
    SCOPED_TRACE(chunk);
    BatchOptions o;
    o.max_record_bytes = 1000;
    o.chunk_bytes = chunk;
    auto out = lines_of(batch(p, input, o));
    ASSERT_EQ(out.size(), 3u);
    EXPECT_NE(out[1].find("\"line\":2,\"error\":{\"kind\":\"parse\",\"message\":\"the record is longer than 1000 bytes"),
              std::string::npos) << out[1];
    EXPECT_NE(out[2].find("\"id\":\"b\""), std::string::npos);
  }
}

TEST(Batch, AByteOrderMarkAndCrlfAreAccepted) {
  auto p = test::default_policy();
  auto out = lines_of(batch(p, "\xEF\xBB\xBF{\"id\":\"a\",\"facts\":{}}\r\n{\"id\":\"b\",\"facts\":{}}\r\n", BatchOptions{}));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].rfind("{\"id\":\"a\",\"verdict\":\"review\"", 0), 0u) << out[0];
  EXPECT_EQ(out[1].rfind("{\"id\":\"b\",\"verdict\":\"review\"", 0), 0u) << out[1];
}

TEST(Batch, FixedTwelveDecimals) {
  auto text = [](double d) {
    std::string s;
    append_fixed12(&s, d);
    return s;
  };
  EXPECT_EQ(text(0.0), "0");
  EXPECT_EQ(text(-0.0), "0");
  EXPECT_EQ(text(1.0), "1");
  EXPECT_EQ(text(-1.0), "-1");
  EXPECT_EQ(text(0.25), "0.25");
  EXPECT_EQ(text(1.0 / 3.0), "0.333333333333");
  EXPECT_EQ(text(-2.0 / 3.0), "-0.666666666667");
  EXPECT_EQ(text(0.1 + 0.2), "0.3");
  EXPECT_EQ(text(1e-13), "0");
  EXPECT_EQ(text(-4e-12), "-0.000000000004");
  EXPECT_EQ(text(123.5), "123.5");
  EXPECT_EQ(text(1e300), "1e+300");  // outside the fixed range: the general form
}

TEST(Batch, CsvWithDottedColumnsGivesTheSameVerdicts) {
  auto p = test::default_policy();
  std::string csv =
      "id,cost.hours,cost.internal_rate,cost.external_rate,capacity.utilization,control.institutional_knowledge,"
      "security.system_access,security.vendor_certified,title\n"
      "a,1200,85,60,1.0,high,front_office,true,\"Launch, \"\"candy\"\"\"\n"
      "b,1600,70,45,0.7,medium,back_office,false,books\n"
      "c,,,,,low,none,,\n"
      "d,abc,1,1,,,,,\n";
  BatchOptions o;
  o.format = InputFormat::kCsv;
  auto out = lines_of(batch(p, csv, o));
  ASSERT_EQ(out.size(), 4u);
  EXPECT_NE(out[0].find("\"id\":\"a\",\"verdict\":\"outsource-then-insource\""), std::string::npos) << out[0];
  EXPECT_NE(out[1].find("\"rule\":\"back-office-stays-in-house\""), std::string::npos) << out[1];
  EXPECT_NE(out[2].find("\"scores\":{\"cost\":null,\"control\":-1,\"security\":0,"), std::string::npos) << out[2];
  EXPECT_NE(out[3].find("\"id\":\"d\",\"line\":5,\"error\":{\"kind\":\"case\",\"message\":\"fact cost.hours must be a number, not \\\"abc\\\"\"}"),
            std::string::npos) << out[3];
  // The same cases as JSON Lines decide the same.
  std::string jsonl =
      "{\"id\":\"a\",\"facts\":{\"cost\":{\"hours\":1200,\"internal_rate\":85,\"external_rate\":60},\"capacity\":{\"utilization\":1.0},"
      "\"control\":{\"institutional_knowledge\":\"high\"},\"security\":{\"system_access\":\"front_office\",\"vendor_certified\":true}}}\n";
  EXPECT_EQ(lines_of(batch(p, jsonl, BatchOptions{}))[0], out[0]);
}

TEST(Batch, CsvHeaderWithAnUnknownColumnStopsTheRun) {
  auto p = test::default_policy();
  BatchOptions o;
  o.format = InputFormat::kCsv;
  try {
    batch(p, "id,cost.hour\nx,1\n", o);
    FAIL() << "expected a BatchError";
  } catch (const BatchError& e) {
    EXPECT_NE(std::string(e.what()).find("CSV column 'cost.hour' is not a known fact (did you mean 'cost.hours'?)"),
              std::string::npos) << e.what();
  }
}

// An oversized YAML document ends at the first separator after it: the
// documents after it, read in the same block, are not dropped with it
// (they were: the reader skipped to the last separator it had read).
TEST(Batch, AnOversizedYamlDocumentCostsOnlyItself) {
  auto p = test::default_policy();
  std::string yaml = "id: a\nfacts: {}\n---\nid: big\ntitle: " + std::string(3000, 'x') +
                     "\nfacts: {}\n---\nid: b\nfacts: {}\n---\nid: c\nfacts: {}\n---\nid: d\nfacts: {}\n";
  for (size_t chunk : {size_t{64}, size_t{1} << 16}) {
    SCOPED_TRACE(chunk);
    BatchOptions o;
    o.format = InputFormat::kYaml;
    o.max_record_bytes = 1000;
    o.chunk_bytes = chunk;
    for (int jobs : {1, 2}) {
      o.jobs = jobs;
      auto out = lines_of(batch(p, yaml, o));
      ASSERT_EQ(out.size(), 5u) << batch(p, yaml, o);
      EXPECT_NE(out[0].find("\"id\":\"a\""), std::string::npos) << out[0];
      EXPECT_NE(out[1].find("\"line\":3,\"error\":{\"kind\":\"parse\""), std::string::npos) << out[1];
      EXPECT_NE(out[2].find("\"id\":\"b\""), std::string::npos) << out[2];
      EXPECT_NE(out[3].find("\"id\":\"c\""), std::string::npos) << out[3];
      EXPECT_NE(out[4].find("\"id\":\"d\""), std::string::npos) << out[4];
    }
  }
}

TEST(Batch, YamlDocumentStream) {
  auto p = test::default_policy();
  std::string yaml =
      "# a portfolio\n"
      "---\n"
      "id: a\n"
      "facts: {security: {system_access: back_office}}\n"
      "---\n"
      "id: b\n"
      "facts:\n"
      "  cost: {hours: oops}\n"
      "---\n"
      "id: c\n"
      "facts: {}\n";
  BatchOptions o;
  o.format = InputFormat::kYaml;
  o.chunk_bytes = 16;
  auto out = lines_of(batch(p, yaml, o));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_NE(out[0].find("\"id\":\"a\",\"verdict\":\"insource\""), std::string::npos) << out[0];
  // The record points at the bad fact's own line and column in the stream.
  EXPECT_NE(out[1].find("\"id\":\"b\",\"line\":8,\"column\":17,\"error\":{\"kind\":\"case\""), std::string::npos)
      << out[1];
  EXPECT_NE(out[2].find("\"id\":\"c\",\"verdict\":\"review\""), std::string::npos) << out[2];
}

TEST(Batch, CliSummaryOnStderrAndNoProgressBarOnAPipe) {
  fs::path in = temp_file("cli.jsonl", generated(300));
  fs::path err = test::scratch_dir() / "batch-stderr";
  std::string cmd = std::string(INSOURCE_BINARY) + " batch --jobs 2 " + in.string() + " 2>" + err.string() + " | wc -l";
  FILE* f = popen(cmd.c_str(), "r");
  char buf[64] = {0};
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  EXPECT_EQ(pclose(f), 0);
  EXPECT_EQ(std::stoi(buf), 300);
  std::string e = read_file(err);
  EXPECT_EQ(e.find('\r'), std::string::npos) << e;  // no progress bar
  EXPECT_EQ(e.rfind("insource batch: 300 cases (", 0), 0u) << e;
  EXPECT_NE(e.find("0 errors"), std::string::npos) << e;
}

TEST(Batch, ProgressBarOnATerminalUnlessQuiet) {
  // script(1) runs the command on a pseudo-terminal, as a person would.
  if (std::system("command -v script > /dev/null 2>&1") != 0) GTEST_SKIP() << "script(1) is not installed";
  fs::path in = temp_file("tty.jsonl", generated(3000));
  auto run_on_tty = [&](const std::string& flags) {
    fs::path log = test::scratch_dir() / "batch-tty.log";
    std::string cmd = "script -qec '" + std::string(INSOURCE_BINARY) + " batch " + flags + " " + in.string() +
                      " -o /dev/null' " + log.string() + " > /dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return read_file(log);
  };
  std::string shown = run_on_tty("--jobs 1");
  EXPECT_NE(shown.find("\r  "), std::string::npos) << shown;
  EXPECT_NE(shown.find(" cases/s, "), std::string::npos) << shown;
  EXPECT_NE(shown.find("ETA"), std::string::npos) << shown;  // the input's size is known
  std::string quiet = run_on_tty("--jobs 1 --quiet");
  EXPECT_EQ(quiet.find("\r  "), std::string::npos) << quiet;
  EXPECT_NE(quiet.find("insource batch: 3,000 cases"), std::string::npos) << quiet;
}

}  // namespace
}  // namespace insource
