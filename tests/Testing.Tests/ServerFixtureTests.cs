using System.Net;
using System.Text;
using Confluent.Kafka;
using Npgsql;

namespace PatientStream.Testing.Tests;

public sealed class ServerFixtureTests
{
    [Fact]
    public async Task Influx_fixture_accepts_a_line_protocol_write_answers_a_query_and_leaves_nothing_behind()
    {
        int pid;
        var fixture = new InfluxFixture();
        try
        {
            await fixture.InitializeAsync();
            pid = fixture.Server.Pid;
            using var http = new HttpClient { BaseAddress = fixture.Url };
            using (var create = await http.PostAsync(new Uri("query?q=CREATE+DATABASE+ps", UriKind.Relative), null))
            {
                Assert.Equal(HttpStatusCode.OK, create.StatusCode);
            }
            using var body = new StringContent("heart_rate,patient=p1 value=72 1795291939000000000\n", Encoding.UTF8);
            using (var write = await http.PostAsync(new Uri("write?db=ps", UriKind.Relative), body))
            {
                Assert.Equal(HttpStatusCode.NoContent, write.StatusCode);
            }
            var result = await http.GetStringAsync(new Uri("query?db=ps&q=SELECT+value+FROM+heart_rate", UriKind.Relative));
            Assert.Contains("72", result, StringComparison.Ordinal);
        }
        finally
        {
            await fixture.DisposeAsync();
        }
        Assert.False(ServerProcess.Live.ContainsKey(pid));
        Assert.False(Directory.Exists($"/proc/{pid}"));
    }

    [Fact]
    public async Task Postgres_fixture_runs_sql_in_a_fresh_database_and_leaves_nothing_behind()
    {
        int pid;
        var fixture = new PostgresFixture();
        try
        {
            await fixture.InitializeAsync();
            pid = fixture.Server.Pid;
            var connectionString = await fixture.CreateDatabaseAsync("fixture");
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("CREATE TABLE t(x int); INSERT INTO t VALUES (41); SELECT x + 1 FROM t", connection);
            Assert.Equal(42, (int)(await command.ExecuteScalarAsync())!);
        }
        finally
        {
            await fixture.DisposeAsync();
        }
        Assert.False(ServerProcess.Live.ContainsKey(pid));
        Assert.False(Directory.Exists($"/proc/{pid}"));
        var port = fixture.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.DoesNotContain(ProcessesOf("postgres"), p => File.ReadAllText($"/proc/{p}/cmdline").Contains(port, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Kafka_fixture_serves_a_real_kafka_client_through_its_bootstrap_servers()
    {
        var fixture = new KafkaFixture();
        await fixture.InitializeAsync();
        try
        {
            using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = fixture.BootstrapServers }).Build();
            var result = await producer.ProduceAsync("fixture-check", new Message<Null, string> { Value = "hello" });
            Assert.Equal(PersistenceStatus.Persisted, result.Status);
            using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = fixture.BootstrapServers }).Build();
            var metadata = admin.GetMetadata("fixture-check", TimeSpan.FromSeconds(10));
            Assert.Equal(3, metadata.Brokers.Count);
            Assert.Equal(4, metadata.Topics[0].Partitions.Count);
        }
        finally
        {
            await fixture.DisposeAsync();
        }
    }

    [Fact]
    public void A_missing_binary_fails_with_the_install_command()
    {
        var error = Assert.Throws<MissingBinaryException>(() => RequiredBinary.Find("no-such-server-binary", "no-such-package"));
        Assert.Contains("apt-get install -y no-such-package", error.Message, StringComparison.Ordinal);
    }

    private static IEnumerable<string> ProcessesOf(string name) =>
        Directory.EnumerateDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(d => d!.All(char.IsDigit))
            .Where(d => File.Exists($"/proc/{d}/comm") && File.ReadAllText($"/proc/{d}/comm").Trim() == name)!;
}
