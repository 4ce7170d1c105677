// Tests of dataset.hpp: the schema, round trips, located errors (the NeuSight importer: test_neusight.cpp).
#include <doctest/doctest.h>

#include <perfcast/runtime/dataset.hpp>

#include <sstream>  // ostringstream

using namespace perfcast;

namespace {
const std::string header =
    "# format: perfcast-dataset\n# version: 1\n# harness: unit test (synthetic rows)\n"
    "kind,pass,dtype,device,batch,in_features,out_features,in_channels,out_channels,height,width,kernel_h,kernel_w,"
    "time_us,samples,spread,error,source\n";

error parse_error(const std::string& text) {
    DeviceRegistry reg;
    try {
        parse_dataset(text, "d.csv", reg);
    } catch (const error& e) {
        return e;
    }
    FAIL("expected perfcast::error");
    return error("");
}
}  // namespace

TEST_CASE("a dataset reads its provenance and rows, and round-trips") {
    DeviceRegistry reg;
    const Dataset ds = parse_dataset(header +
                                         "dense,inference,fp32,Tesla T4,8,128,64,,,,,,,12.5,30,0.01,,synthetic\n"
                                         "conv2d,training,bf16,h100,4,,,3,16,32,32,3,3,40,25,,,synthetic\n"
                                         "conv2d,inference,fp16,h100,64,,,512,512,256,256,3,3,,,,out of memory,synthetic\n",
                                     "d.csv", reg);
    CHECK(ds.provenance.at("harness") == "unit test (synthetic rows)");
    REQUIRE(ds.rows.size() == 3);
    CHECK(ds.measured_count() == 2);
    CHECK(ds.rows[0].device == "t4");
    CHECK(std::get<DenseParams>(ds.rows[0].layer).out_features == 64);
    CHECK(ds.rows[0].spread == doctest::Approx(0.01));
    CHECK(ds.rows[1].pass == Pass::training);
    CHECK(ds.rows[1].dtype == DType::bf16);
    CHECK(ds.rows[1].spread < 0);
    CHECK(!ds.rows[2].measured());
    CHECK(ds.rows[2].error == "out of memory");

    std::ostringstream out;
    write_dataset(out, ds);
    const Dataset back = parse_dataset(out.str(), "back.csv", reg);
    REQUIRE(back.rows.size() == ds.rows.size());
    for (std::size_t i = 0; i < ds.rows.size(); ++i) {
        CHECK(back.rows[i].layer == ds.rows[i].layer);
        CHECK(back.rows[i].time_us == ds.rows[i].time_us);
        CHECK(back.rows[i].device == ds.rows[i].device);
        CHECK(back.rows[i].error == ds.rows[i].error);
        CHECK(back.rows[i].source == ds.rows[i].source);
    }
    CHECK(back.provenance.at("harness") == "unit test (synthetic rows)");
}

TEST_CASE("bad rows are refused with file, line and column") {
    error e = parse_error(header + "dense,inference,fp32,t4,8,128,64,,,,,,,12.5,30,,,s\n"
                                   "dense,inference,fp32,t4,8,128,sixty,,,,,,,12.5,30,,,s\n");
    CHECK(e.where().file == "d.csv");
    CHECK(e.where().line == 6);
    CHECK(e.where().column == 7);
    CHECK(e.field() == "out_features");

    e = parse_error(header + "dense,inference,fp32,rtx9090,8,128,64,,,,,,,12.5,30,,,s\n");
    CHECK(e.field() == "device");
    CHECK(std::string(e.what()).find("unknown device") != std::string::npos);
    e = parse_error(header + "conv2d,inference,fp32,t4,8,,,3,16,5,5,11,11,12.5,30,,,s\n");
    CHECK(e.field() == "kernel_h");
    e = parse_error(header + "dense,inference,fp32,t4,8,128,64,,,,,,,-1,30,,,s\n");
    CHECK(e.field() == "time_us");
    e = parse_error(header + "dense,forward,fp32,t4,8,128,64,,,,,,,1,30,,,s\n");
    CHECK(e.field() == "pass");
    e = parse_error(header + "dense,inference,fp32,t4,8,128,64\n");
    CHECK(std::string(e.what()).find("cells") != std::string::npos);
    e = parse_error("kind,pass,dtype,device,batch,timeus\n");
    CHECK(e.field() == "timeus");
    CHECK(e.where().column == 6);
    e = parse_error("kind,pass,dtype,device,batch\n");
    CHECK(e.field() == "time_us");
    e = parse_error("# format: perfcast-dataset\n# version: 4\nkind,pass,dtype,device,batch,time_us\n");
    CHECK(e.field() == "version");
}

TEST_CASE("bmm, layernorm and elementwise rows round-trip through the CSV schema, with the kernel column") {
    DeviceRegistry reg;
    Dataset ds;
    ds.provenance["harness"] = "unit test (synthetic rows)";
    auto row = [](Layer l, Pass pass, std::string kernel) {
        Sample s;
        s.layer = l;
        s.pass = pass;
        s.device = "t4";
        s.time_us = 12.5;
        s.samples = 5;
        s.source = "synthetic";
        s.kernel = std::move(kernel);
        return s;
    };
    ds.rows.push_back(row(BatchMatMulParams{.batch = 12, .m = 128, .k = 64, .n = 128}, Pass::inference,
                          "volta_sgemm_64x64_nn"));
    ds.rows.push_back(row(LayerNormParams{.batch = 512, .features = 768, .affine = false}, Pass::training, ""));
    ds.rows.push_back(row(ElementwiseParams{.shape = Shape::matrix(4, 1000), .op = ElementwiseOp::pow, .scalar = true},
                          Pass::inference, "a \"quoted\", comma'd name"));
    ds.rows.push_back(row(ElementwiseParams{.shape = Shape::nchw(2, 3, 4, 5), .op = ElementwiseOp::sub}, Pass::training, ""));
    std::ostringstream out;
    write_dataset(out, ds);
    CHECK(out.str().find("# version: 3\n") != std::string::npos);
    const Dataset back = parse_dataset(out.str(), "round.csv", reg);
    REQUIRE(back.rows.size() == ds.rows.size());
    for (std::size_t i = 0; i < ds.rows.size(); ++i) {
        CAPTURE(i);
        CHECK(back.rows[i].layer == ds.rows[i].layer);
        CHECK(back.rows[i].pass == ds.rows[i].pass);
        CHECK(back.rows[i].kernel == ds.rows[i].kernel);
    }
}

TEST_CASE("a dataset without the kernel column, or of version 2, still reads; bad new-kind cells are located") {
    DeviceRegistry reg;
    const Dataset v2 = parse_dataset("# format: perfcast-dataset\n# version: 2\nkind,pass,dtype,device,batch,in_features,"
                                     "time_us\nsoftmax,inference,fp32,t4,2,10,1.5\n",
                                     "v2.csv", reg);
    REQUIRE(v2.rows.size() == 1);
    CHECK(v2.rows[0].kernel.empty());
    const std::string head = "# format: perfcast-dataset\n# version: 3\n"
                             "kind,pass,dtype,device,batch,in_features,m,k,n,op,scalar,affine,time_us\n";
    error e = parse_error(head + "bmm,inference,fp32,t4,2,,4,0,8,,,,1.0\n");
    CHECK(e.where().line == 4);
    CHECK(e.field() == "k");
    CHECK(e.where().column == 8);
    e = parse_error(head + "bmm,inference,fp32,t4,2,,4,,8,,,,1.0\n");
    CHECK(e.field() == "k");
    CHECK(e.message().find("missing") != std::string::npos);
    e = parse_error(head + "elementwise,inference,fp32,t4,2,10,,,,mod,1,,1.0\n");
    CHECK(e.field() == "op");
    e = parse_error(head + "elementwise,inference,fp32,t4,2,10,,,,add,0,,1.0\n");
    CHECK(e.field() == "scalar");
    CHECK(e.message().find("a sum of same-shaped tensors is the add layer") != std::string::npos);
    e = parse_error(head + "layernorm,inference,fp32,t4,2,0,,,,,,1,1.0\n");
    CHECK(e.field() == "in_features");
    e = parse_error(head + "layernorm,inference,fp32,t4,2,8,,,,,,maybe,1.0\n");
    CHECK(e.field() == "affine");
    const Dataset ok = parse_dataset(head + "layernorm,training,fp32,t4,2,8,,,,,,,1.0\n", "ln.csv", reg);
    CHECK(std::get<LayerNormParams>(ok.rows[0].layer).affine);  // affine by default
}

TEST_CASE("a row whose sizes or counts break a range rule is refused with file, line and column, never read") {
    // channels 2^40
    error e = parse_error(header + "conv2d,inference,fp32,t4,8,,,1099511627776,16,5,5,3,3,12.5,30,,,s\n");
    CHECK(e.where().file == "d.csv");
    CHECK(e.where().line == 5);
    CHECK(e.field() == "in_channels");
    CHECK(e.where().column == 8);
    CHECK(e.message().find("size_in_range") != std::string::npos);
    // the batch
    e = parse_error(header + "dense,inference,fp32,t4,2147483648,128,64,,,,,,,12.5,30,,,s\n");
    CHECK(e.field() == "batch");
    CHECK(e.where().column == 5);
    // every size in range, the GEMM's FLOPs past 2^62 (2 * 2^30 * 2^30 * 2^30): the row is located
    e = parse_error(header + "dense,inference,fp32,t4,1073741824,1073741824,1073741824,,,,,,,12.5,30,,,s\n");
    CHECK(e.where().line == 5);
    CHECK(e.field() == "kind");
    CHECK(e.message().find("forward.flops: work_in_range") == 0);
    // the same row in range reads
    DeviceRegistry reg;
    const Dataset ok = parse_dataset(header + "dense,inference,fp32,t4,1024,1024,1024,,,,,,,12.5,30,,,s\n", "d.csv", reg);
    CHECK(ok.rows.size() == 1);
}
