using PatientStream.Fhir.Definitions;
using PatientStream.Fhir.Service;
using PatientStream.Fhir.Storage;
using PatientStream.Ingest.Tests.Influx;
using PatientStream.Kafka;
using PatientStream.Kafka.Contracts;
using PatientStream.Testing;
using static PatientStream.Ingest.Tests.Readings;

namespace PatientStream.Ingest.Tests;

[Collection(ServerTestGroup.Name)]
public sealed class CrashTests(KafkaFixture kafka, InfluxFixture influx)
{
    private static readonly DateTimeOffset s_t0 = Received.AddMinutes(-30);

    [Fact]
    public async Task A_process_killed_between_sink_writes_and_commit_leaves_influx_and_fhir_without_duplicates_or_gaps_after_restart()
    {
        using var scenario = new IngestScenario(kafka, influx);
        using var producer = new KafkaProducer(kafka.Options("producer"));
        await IngestHandlerTests.PrepareAsync(scenario, producer);
        var fhirPath = FhirPath(scenario);
        Directory.CreateDirectory(Path.GetDirectoryName(fhirPath)!);
        const int patients = 4;
        const int batches = 25;
        for (var seq = 0; seq < batches; seq++)
        {
            for (var p = 0; p < patients; p++)
            {
                var time = s_t0.AddSeconds(seq * 10);
                await scenario.ProduceAsync(producer, Reading($"dev-{p}", $"Patient/p{p}", seq,
                    [Scalar("heart-rate", 60 + seq, "/min", time), Scalar("spo2", 95, "%", time), Scalar("body-weight", 154, "[lb_av]", time),
                        Scalar("steps", seq, "steps", time)]));
            }
        }
        // One closing glucose sample per patient: each patient's records share a partition, so when all of them are
        // written every partition is through.
        for (var p = 0; p < patients; p++)
        {
            await scenario.ProduceAsync(producer, Reading($"dev-{p}", $"Patient/p{p}", batches, [Scalar("glucose", 90, "mg/dL", s_t0.AddMinutes(20))]));
        }

        await using (var doomed = StartHost(scenario, "hang"))
        {
            await WaitForLineAsync(doomed, "HANGING");
            Assert.NotEmpty(await InfluxQuery.RowsAsync(influx, scenario.Database, "SELECT value FROM \"heart-rate\""));
            Assert.NotEqual(0, await CountAsync(fhirPath, "Observation", "code=8867-4"));
            doomed.Kill();
            await doomed.Exited.WaitAsync(IngestScenario.Deadline);
        }

        await using (var restarted = StartHost(scenario, "run"))
        {
            await WaitForLineAsync(restarted, "SENTINEL", count: patients);
        }

        var heartRates = await InfluxQuery.RowsAsync(influx, scenario.Database, "SELECT value, quality FROM \"heart-rate\" GROUP BY patient");
        Assert.Equal(patients * batches, heartRates.Count);
        Assert.All(heartRates, r => Assert.Equal("ok", r[2].GetString()));
        foreach (var measurement in new[] { "spo2", "body-weight" })
        {
            var count = await InfluxQuery.RowsAsync(influx, scenario.Database, $"SELECT count(value) FROM \"{measurement}\" GROUP BY patient, device");
            Assert.Equal(Enumerable.Repeat((long)batches, patients), count.Select(r => r[1].GetInt64()));
        }
        var weights = await InfluxQuery.RowsAsync(influx, scenario.Database, "SELECT value FROM \"body-weight\"");
        Assert.All(weights, r => Assert.Equal(69.853, r[1].GetDouble(), 3));
        var values = await InfluxQuery.RowsAsync(influx, scenario.Database, "SELECT sum(value) FROM \"heart-rate\"");
        Assert.Equal(patients * Enumerable.Range(60, batches).Sum(), Assert.Single(values)[1].GetDouble());

        // FHIR: one Observation (and Provenance) per sample, counted by search, and one hourly steps summary per patient
        // that counted every batch exactly once although the first run wrote it before dying.
        foreach (var code in new[] { "8867-4", "59408-5", "29463-7" })
        {
            Assert.Equal(patients * batches, await CountAsync(fhirPath, "Observation", $"code={code}"));
        }
        Assert.Equal(patients, await CountAsync(fhirPath, "Observation", "code=2339-0"));
        Assert.Equal(patients * (3 * batches + 2), await CountAsync(fhirPath, "Provenance", ""));
        var fhir = await OpenFhirAsync(fhirPath);
        var summaries = (await fhir.SearchAsync("Observation", "code=55423-8&_count=50")).MatchResources();
        Assert.Equal(patients, summaries.Count);
        Assert.All(summaries, s =>
        {
            Assert.Equal(Enumerable.Range(0, batches).Sum(), (double)s["valueQuantity"]!["value"]!);
            Assert.Equal(batches, (int)s["component"]![2]!["valueInteger"]!);
        });
    }

    private static async Task<FhirService> OpenFhirAsync(string path)
    {
        var store = new SqlFhirStore(new SqliteDialect(path), FhirDefinitions.R4);
        await store.InitializeAsync(CancellationToken.None);
        return new FhirService(store);
    }

    private static async Task<long> CountAsync(string path, string type, string query)
    {
        var fhir = await OpenFhirAsync(path);
        var result = await fhir.SearchAsync(type, query.Length == 0 ? "_summary=count" : $"{query}&_summary=count");
        return result.Page.Total ?? throw new InvalidOperationException("the store gave no total");
    }

    private static ServerProcess StartHost(IngestScenario scenario, string mode)
    {
        var assemblyDirectory = new DirectoryInfo(AppContext.BaseDirectory);
        // artifacts/bin/<project>/<configuration>/: the host is built next to this test assembly's project folder.
        var host = Path.Combine(assemblyDirectory.Parent!.Parent!.FullName, "PatientStream.Ingest.CrashHost", assemblyDirectory.Name,
            "PatientStream.Ingest.CrashHost.dll");
        Assert.True(File.Exists(host), $"crash host not built at {host}: run dotnet build tests/Ingest.Tests");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? RequiredBinary.Find("dotnet", "dotnet-sdk-10.0");
        return ServerProcess.Start($"ingest-{mode}", dotnet,
        [
            host, scenario.Kafka.BootstrapServers, scenario.Topic, scenario.DeadLetterTopic, scenario.Group, scenario.Influx.Url.ToString(),
            scenario.Database, scenario.StatePath, FhirPath(scenario), mode,
        ]);
    }

    private static string FhirPath(IngestScenario scenario) => Path.Combine(Path.GetDirectoryName(scenario.StatePath)!, "fhir.db");

    private static Task WaitForLineAsync(ServerProcess process, string line, int count = 1) =>
        process.WaitUntilReadyAsync(_ => Task.FromResult(process.Log.Split('\n').Count(l => l == line) >= count), IngestScenario.Deadline);
}
