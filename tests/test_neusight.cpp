// Tests of lab/neusight.hpp: the NeuSight importer, on small synthetic CSV texts written here
// (made-up latencies in NeuSight's columns, never NeuSight's own rows).
#include <doctest/doctest.h>

#include <perfcast/lab/neusight.hpp>

#include <cstdio>      // remove
#include <cstdlib>     // system
#include <filesystem>  // temp_directory_path
#include <fstream>     // ofstream

using namespace perfcast;

namespace {
error import_error(const std::string& text, const std::string& file = "neusight/x/Tesla_T4.csv") {
    DeviceRegistry reg;
    try {
        parse_neusight(text, file, reg);
    } catch (const error& e) {
        return e;
    }
    FAIL("expected perfcast::error");
    return error("");
}
}  // namespace

TEST_CASE("NeuSight conv and linear rows import with their device, units and source") {
    DeviceRegistry reg;
    const std::string conv =
        "OPName,Latency,Device,Kernel Name,B,Input_Channel,Output_Channel,Kernel_Szie,Input_Size,Stride,Padding\n"
        "conv,2.5,Tesla T4,\"k1;k2\",38,893,326,3,5,1,1\n";
    const Dataset c = parse_neusight(conv, "x/conv/Tesla_T4.csv", reg);
    REQUIRE(c.rows.size() == 1);
    const auto& p = std::get<Conv2DParams>(c.rows[0].layer);
    CHECK(p.batch == 38);
    CHECK(p.in_channels == 893);
    CHECK(p.out_channels == 326);
    CHECK(p.kernel == Hw{3});
    CHECK(p.height == 5);
    CHECK(!p.bias);
    CHECK(c.rows[0].time_us == doctest::Approx(2500.0));
    CHECK(c.rows[0].device == "t4");
    CHECK(c.rows[0].source == "neusight:conv/Tesla_T4.csv:2");

    const std::string linear = "OPName,Latency,Device,B,M,N,K\nlinear,0.05,Tesla V100-PCIE-32GB,2,58,13,141\n";
    const Dataset l = parse_neusight(linear, "linear/V.csv", reg);
    const auto& d = std::get<DenseParams>(l.rows[0].layer);
    CHECK(d.batch == 2);
    CHECK(d.seq == 58);
    CHECK(d.in_features == 13);
    CHECK(d.out_features == 141);
    CHECK(l.rows[0].device == "v100_pcie_32gb");

    try {
        parse_neusight("OPName,Latency,Device,B,M,N,K\nlinear,0.05,Tesla K80,2,58,13,141\n", "k80.csv", reg);
        FAIL("expected perfcast::error");
    } catch (const error& e) {
        CHECK(e.where().line == 2);
        CHECK(e.where().column == 3);
        CHECK(e.field() == "Device");
        CHECK(std::string(e.what()).find("Tesla K80") != std::string::npos);
    }
    CHECK_THROWS_AS(parse_neusight("OPName,Latency,Device\n", "odd.csv", reg), error);
}

TEST_CASE("every NeuSight OPName maps to its layer (synthetic rows)") {
    DeviceRegistry reg;
    // one file holding every operator, as NeuSight's test sets hold several
    const std::string text =
        "OPName,Latency,Device,Kernel Name,B,M,N,K,H\n"
        "linear,0.5,Tesla T4,volta_sgemm_32x128_tn,2,58,13,141,\n"
        "bmm,0.25,Tesla T4,volta_sgemm_64x64_nn,13,27,15,29,\n"
        "add,0.03,Tesla T4,\"void at::native::vectorized_elementwise_kernel<4, add>(int)\",127,,,,168\n"
        "addu,0.03,Tesla T4,k,127,,,,168\n"
        "mul,0.03,Tesla T4,k,127,,,,168\n"
        "mulu,0.03,Tesla T4,k,127,,,,168\n"
        "div,0.03,Tesla T4,k,127,,,,168\n"
        "divu,0.03,Tesla T4,k,127,,,,168\n"
        "pow,0.03,Tesla T4,k,127,,,,168\n"
        "powu,0.03,Tesla T4,k,127,,,,168\n"
        "relu,0.03,Tesla T4,k,127,,,,168\n"
        "gelu,0.03,Tesla T4,k,127,,,,168\n"
        "tanh,0.03,Tesla T4,k,127,,,,168\n"
        "softmax,0.04,Tesla T4,k,127,,,,168\n"
        "ln,0.05,NVIDIA A100-PCIE-40GB,k,127,,,,168\n";
    const Dataset ds = parse_neusight(text, "neusight/test/mixed.csv", reg);
    REQUIRE(ds.rows.size() == 15);
    const Shape s = Shape::matrix(127, 168);
    CHECK(ds.rows[0].layer == Layer{DenseParams{.batch = 2, .in_features = 13, .out_features = 141, .bias = true, .seq = 58}});
    // torch.bmm of (B, M, N) by (B, N, K): the shared dimension is N
    CHECK(ds.rows[1].layer == Layer{BatchMatMulParams{.batch = 13, .m = 27, .k = 15, .n = 29}});
    CHECK(ds.rows[2].layer == Layer{AddParams{.shape = s, .inputs = 2}});
    CHECK(ds.rows[3].layer == Layer{ElementwiseParams{.shape = s, .op = ElementwiseOp::add, .scalar = true}});
    CHECK(ds.rows[4].layer == Layer{ElementwiseParams{.shape = s, .op = ElementwiseOp::mul, .scalar = false}});
    CHECK(ds.rows[5].layer == Layer{ElementwiseParams{.shape = s, .op = ElementwiseOp::mul, .scalar = true}});
    CHECK(ds.rows[6].layer == Layer{ElementwiseParams{.shape = s, .op = ElementwiseOp::div, .scalar = false}});
    CHECK(ds.rows[7].layer == Layer{ElementwiseParams{.shape = s, .op = ElementwiseOp::div, .scalar = true}});
    CHECK(ds.rows[8].layer == Layer{ElementwiseParams{.shape = s, .op = ElementwiseOp::pow, .scalar = false}});
    CHECK(ds.rows[9].layer == Layer{ElementwiseParams{.shape = s, .op = ElementwiseOp::pow, .scalar = true}});
    CHECK(ds.rows[10].layer == Layer{ActivationParams{.shape = s, .kind = ActivationKind::relu}});
    CHECK(ds.rows[11].layer == Layer{ActivationParams{.shape = s, .kind = ActivationKind::gelu}});
    CHECK(ds.rows[12].layer == Layer{ActivationParams{.shape = s, .kind = ActivationKind::tanh}});
    CHECK(ds.rows[13].layer == Layer{SoftmaxParams{.batch = 127, .features = 168}});
    CHECK(ds.rows[14].layer == Layer{LayerNormParams{.batch = 127, .features = 168, .affine = true}});
    CHECK(ds.rows[14].device == "a100_pcie_40gb");
    CHECK(ds.rows[1].time_us == doctest::Approx(250.0));
    CHECK(ds.rows[1].source == "neusight:test/mixed.csv:3");
    // the chosen kernel is kept for the GEMMs and convolutions only
    CHECK(ds.rows[0].kernel == "volta_sgemm_32x128_tn");
    CHECK(ds.rows[1].kernel == "volta_sgemm_64x64_nn");
    for (std::size_t i = 2; i < ds.rows.size(); ++i) CHECK(ds.rows[i].kernel.empty());
    CHECK(ds.provenance.at("neusight_set").rfind("test", 0) == 0);
    CHECK(parse_neusight(text, "neusight/bmm/Tesla_T4.csv", reg).provenance.at("neusight_set") == "training sweeps");
}

TEST_CASE("an unknown OPName, a missing shape column and a bad shape are refused with file, line and field") {
    error e = import_error("OPName,Latency,Device,B,H\nrelu,0.03,Tesla T4,2,8\nsigmoid,0.03,Tesla T4,2,8\n");
    CHECK(e.where().file == "neusight/x/Tesla_T4.csv");
    CHECK(e.where().line == 3);
    CHECK(e.where().column == 1);
    CHECK(e.field() == "OPName");
    CHECK(e.message().find("unknown NeuSight operator \"sigmoid\"") != std::string::npos);
    // sub has no NeuSight sweep: refused, not guessed
    e = import_error("OPName,Latency,Device,B,H\nsub,0.03,Tesla T4,2,8\n");
    CHECK(e.field() == "OPName");

    // a bmm row in a file without K
    e = import_error("OPName,Latency,Device,B,M,N\nbmm,0.03,Tesla T4,2,8,8\n");
    CHECK(e.where().line == 2);
    CHECK(e.field() == "K");
    CHECK(e.message().find("column missing") != std::string::npos);
    CHECK(e.message().find("bmm rows need the columns B, M, N, K") != std::string::npos);
    // an ln row in a file without H
    e = import_error("OPName,Latency,Device,B,M,N,K\nln,0.03,Tesla T4,2,8,8,8\n");
    CHECK(e.field() == "H");
    e = import_error("OPName,Latency,Device,B,H\nconv,0.03,Tesla T4,2,8\n");
    CHECK(e.field() == "Input_Channel");

    // a shape that breaks a rule, a latency that is not positive, a missing OPName column
    e = import_error("OPName,Latency,Device,B,M,N,K\nbmm,0.03,Tesla T4,2,0,8,8\n");
    CHECK(e.where().line == 2);
    CHECK(e.message().find("bmm.m: m, k and n must be >= 1") != std::string::npos);
    e = import_error("OPName,Latency,Device,B,H\nmul,0,Tesla T4,2,8\n");
    CHECK(e.field() == "Latency");
    e = import_error("Latency,Device,B,H\n0.03,Tesla T4,2,8\n");
    CHECK(e.field() == "OPName");
    e = import_error("OPName,Latency,Device,B,H\n");
    CHECK(e.message().find("no data rows") != std::string::npos);
}

TEST_CASE("import_neusight reads .xz files through xz, and keeps test sets apart from training sweeps") {
    if (std::system("xz --version > /dev/null 2>&1") != 0) {
        MESSAGE("xz is not installed: the .xz path is not tested here");
        return;
    }
    const auto dir = std::filesystem::temp_directory_path() / "perfcast_test_neusight";
    std::filesystem::create_directories(dir / "mul");
    std::filesystem::create_directories(dir / "test");
    const std::string csv = (dir / "mul" / "Tesla_T4.csv").string();
    {
        std::ofstream f(csv);
        f << "OPName,Latency,Device,B,H\nmul,0.03,Tesla T4,2,8\nmulu,0.02,Tesla T4,4,8\n";  // synthetic rows
    }
    REQUIRE(std::system(("xz -zf '" + csv + "'").c_str()) == 0);
    DeviceRegistry reg;
    const Dataset ds = import_neusight({csv + ".xz"}, reg);
    REQUIRE(ds.rows.size() == 2);
    CHECK(ds.rows[1].layer == Layer{ElementwiseParams{.shape = Shape::matrix(4, 8), .op = ElementwiseOp::mul, .scalar = true}});
    CHECK(ds.rows[1].source == "neusight:mul/Tesla_T4.csv.xz:3");
    // a damaged .xz file: xz's failure is an error naming the file
    const std::string bad = (dir / "mul" / "damaged.csv.xz").string();
    {
        std::ofstream f(bad);
        f << "not xz data";
    }
    try {
        import_neusight({bad}, reg);
        FAIL("expected perfcast::error");
    } catch (const error& e) {
        CHECK(e.where().file == bad);
        CHECK(e.message().find("xz -dc failed") != std::string::npos);
    }
    const std::string test = (dir / "test" / "elem.csv").string();
    {
        std::ofstream f(test);
        f << "OPName,Latency,Device,B,H,large\npow,0.5,Tesla T4,4096,1024,True\n";
    }
    CHECK(import_neusight({test}, reg).rows.size() == 1);
    try {
        import_neusight({csv + ".xz", test}, reg);
        FAIL("expected perfcast::error");
    } catch (const error& e) {
        CHECK(e.where().file == test);
        CHECK(e.message().find("separate files") != std::string::npos);
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("a file of bench/harness/torch_ops.py (a Timings column) records its own tool and versions") {
    DeviceRegistry reg;
    // synthetic rows in the columns torch_ops.py writes
    const std::string ours =
        "OPName,Latency,Device,Torch Version,CUDNN Version,Kernel Name,CUDA Version,B,M,N,K,Timings\n"
        "linear,0.05,NVIDIA H200,p2.11.0,91900,,cu130,1,58,13,141,25\n";
    const Dataset d = parse_neusight(ours, "h200/linear.csv", reg);
    REQUIRE(d.rows.size() == 1);
    CHECK(d.rows[0].device == "h200_sxm");
    CHECK(d.rows[0].source == "torch_ops:h200/linear.csv:2");
    CHECK(d.provenance.at("measured_with") == "PyTorch 2.11.0, CUDA 13.0, cuDNN 9.19.0, FP32 with TF32 off, forward only");
    CHECK(d.provenance.at("source").find("bench/harness/torch_ops.py") == 0);
    CHECK(d.provenance.at("source").find("NeuSight (") == std::string::npos);
    // NeuSight's own file keeps NeuSight's provenance
    const std::string theirs = "OPName,Latency,Device,Torch Version,CUDNN Version,CUDA Version,B,M,N,K\n"
                               "linear,0.05,Tesla T4,p2.1.0,8902,cu121,1,58,13,141\n";
    const Dataset n = parse_neusight(theirs, "linear/Tesla_T4.csv", reg);
    CHECK(n.provenance.at("source").find("NeuSight (sitar-lab/NeuSight") == 0);
    CHECK(n.provenance.at("measured_with") == "PyTorch 2.1.0, CUDA 12.1, cuDNN 8.9.2, FP32 with TF32 off, forward only");
    CHECK(detail::cudnn_version_text("8902") == "8.9.2");
    CHECK(detail::cuda_version_text("cu118") == "11.8");
    // the two are not imported into one file
    const auto dir = std::filesystem::temp_directory_path() / "perfcast_test_neusight_ours";
    std::filesystem::create_directories(dir);
    {
        std::ofstream(dir / "ours.csv") << ours;
        std::ofstream(dir / "theirs.csv") << theirs;
    }
    try {
        import_neusight({(dir / "theirs.csv").string(), (dir / "ours.csv").string()}, reg);
        FAIL("expected perfcast::error");
    } catch (const error& e) {
        CHECK(e.where().file == (dir / "ours.csv").string());
        CHECK(e.message().find("PyTorch 2.11.0") != std::string::npos);
    }
    std::filesystem::remove_all(dir);
}
