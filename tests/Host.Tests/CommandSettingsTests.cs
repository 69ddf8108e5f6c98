using PatientStream.Host.Commands;

namespace PatientStream.Host.Tests;

public sealed class CommandSettingsTests
{
    [Theory]
    [InlineData("localhost", "http://127.0.0.1:8086/", "db", "sqlite", null, "--kafka")]
    [InlineData("a:9092,b", "http://127.0.0.1:8086/", "db", "sqlite", null, "--kafka")]
    [InlineData("127.0.0.1:9092", "127.0.0.1:8086", "db", "sqlite", null, "--influx")]
    [InlineData("127.0.0.1:9092", "http://127.0.0.1:8086/", " ", "sqlite", null, "--influx-db")]
    [InlineData("127.0.0.1:9092", "http://127.0.0.1:8086/", "db", "postgres", null, "--postgres")]
    public void Invalid_ingest_settings_are_refused_with_the_option_named(string kafkaServers, string influxUrl, string db, string store, string? postgres, string expected)
    {
        var problems = new IngestSettings(kafkaServers, influxUrl, db, "/tmp", store, postgres).Problems().ToList();
        Assert.Single(problems);
        Assert.Contains(expected, problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Valid_ingest_settings_have_no_problems() =>
        Assert.Empty(new IngestSettings("10.0.0.1:9092,10.0.0.2:9092", "http://influx:8086", "patientstream", "/tmp", "sqlite", null).Problems());

    [Theory]
    [InlineData("broker", null, null, null, "--broker")]
    [InlineData("127.0.0.1:0", null, null, null, "--broker")]
    [InlineData("127.0.0.1:8883", null, "/etc/hostname", null, "--cert and --key")]
    [InlineData("127.0.0.1:8883", "/no/such/ca.pem", null, null, "--ca /no/such/ca.pem")]
    public void Invalid_edge_settings_are_refused_with_the_option_named(string broker, string? ca, string? cert, string? key, string expected)
    {
        var problems = new EdgeSettings(broker, ca, cert, key, "127.0.0.1:9092", "http://127.0.0.1:8080/", "/tmp/edge", "edge-1").Problems().ToList();
        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_consent_address_that_is_not_a_url_is_refused()
    {
        var problems = new EdgeSettings("127.0.0.1:1883", null, null, null, "127.0.0.1:9092", "consent:8080", "/tmp/edge", "edge-1").Problems().ToList();
        Assert.Contains(problems, p => p.StartsWith("--consent", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0, "127.0.0.1:1883", null, "--patients")]
    [InlineData(2, "1883", null, "--broker")]
    [InlineData(2, "127.0.0.1:1883", "duplicates,meteor", "--faults: unknown fault 'meteor'")]
    public void Invalid_simulate_settings_are_refused_with_the_option_named(int patients, string broker, string? faults, string expected)
    {
        var problems = new SimulateSettings(patients, broker, faults, 0, false, 1000, 0).Problems().ToList();
        Assert.Single(problems);
        Assert.StartsWith(expected, problems[0], StringComparison.Ordinal);
    }
}
