// Tests of dataset.hpp and io/neusight.hpp: the schema, round trips, located errors, the importer.
#include <doctest/doctest.h>

#include <perfcast/runtime/dataset.hpp>
#include <perfcast/lab/neusight.hpp>

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
    e = parse_error("# format: perfcast-dataset\n# version: 3\nkind,pass,dtype,device,batch,time_us\n");
    CHECK(e.field() == "version");
}

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
