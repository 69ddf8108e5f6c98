using System.Text.Json.Nodes;
using PatientStream.Ingest.Cleaning;
using PatientStream.Ingest.Fhir;
using PatientStream.Ingest.Summaries;

namespace PatientStream.Ingest.Tests.Fhir;

public sealed class ObservationBuilderTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 11, 21, 10, 0, 4, TimeSpan.Zero);

    [Fact]
    public void A_scalar_sample_becomes_a_vital_signs_observation_in_ucum_with_subject_device_and_time()
    {
        var resources = ObservationBuilder.Build([Sample(SampleTypes.HeartRate, 72, "/min")]);

        var observation = resources[0];
        Assert.Equal("Observation", (string?)observation["resourceType"]);
        Assert.Equal("final", (string?)observation["status"]);
        Assert.Equal("vital-signs", (string?)observation["category"]![0]!["coding"]![0]!["code"]);
        Assert.Equal("http://loinc.org", (string?)observation["code"]!["coding"]![0]!["system"]);
        Assert.Equal("8867-4", (string?)observation["code"]!["coding"]![0]!["code"]);
        Assert.Equal("Patient/p1", (string?)observation["subject"]!["reference"]);
        Assert.Equal("Device/dev-1", (string?)observation["device"]!["reference"]);
        Assert.Equal("2026-11-21T10:00:04.0000000Z", (string?)observation["effectiveDateTime"]);
        var quantity = observation["valueQuantity"]!;
        Assert.Equal(72, (double)quantity["value"]!);
        Assert.Equal("http://unitsofmeasure.org", (string?)quantity["system"]);
        Assert.Equal("/min", (string?)quantity["code"]);
        Assert.Null(observation["interpretation"]);
    }

    [Fact]
    public void Ids_are_deterministic_per_patient_device_code_and_time_so_reprocessing_updates()
    {
        var again = ObservationBuilder.Build([Sample(SampleTypes.HeartRate, 73, "/min")])[0]["id"]!.GetValue<string>();
        var first = ObservationBuilder.Build([Sample(SampleTypes.HeartRate, 72, "/min")])[0]["id"]!.GetValue<string>();
        var later = ObservationBuilder.Build([Sample(SampleTypes.HeartRate, 72, "/min") with { Time = s_t0.AddTicks(1) }])[0]["id"]!.GetValue<string>();
        var otherDevice = ObservationBuilder.Build([Sample(SampleTypes.HeartRate, 72, "/min") with { DeviceId = "dev-2" }])[0]["id"]!.GetValue<string>();

        Assert.Equal(first, again);
        Assert.NotEqual(first, later);
        Assert.NotEqual(first, otherDevice);
        Assert.Matches("^[a-f0-9]{40}$", first);
    }

    [Fact]
    public void Systolic_and_diastolic_of_one_instant_become_one_blood_pressure_panel_with_components()
    {
        var resources = ObservationBuilder.Build([Sample(SampleTypes.Diastolic, 80, "mm[Hg]"), Sample(SampleTypes.Systolic, 120, "mm[Hg]")]);

        var panel = Assert.Single(resources, r => (string?)r["resourceType"] == "Observation");
        Assert.Equal("85354-9", (string?)panel["code"]!["coding"]![0]!["code"]);
        Assert.Null(panel["valueQuantity"]);
        var components = panel["component"]!.AsArray();
        Assert.Equal(["8480-6", "8462-4"], components.Select(c => (string?)c!["code"]!["coding"]![0]!["code"]));
        Assert.Equal([120.0, 80.0], components.Select(c => (double)c!["valueQuantity"]!["value"]!));
        Assert.All(components, c => Assert.Equal("mm[Hg]", (string?)c!["valueQuantity"]!["code"]));
    }

    [Fact]
    public void A_waveform_becomes_sampled_data_over_its_period()
    {
        var ecg = new CleanSample("Patient/p1", "dev-1", 1, SampleTypes.Ecg, s_t0, null, "mV", SampleQuality.None, null, 4, [0.1, -0.25, 1.5]);

        var observation = ObservationBuilder.Build([ecg])[0];

        var data = observation["valueSampledData"]!;
        Assert.Equal(4, (double)data["period"]!);
        Assert.Equal(1, (int)data["dimensions"]!);
        Assert.Equal("0.1 -0.25 1.5", (string?)data["data"]);
        Assert.Equal("mV", (string?)data["origin"]!["code"]);
        Assert.Equal("2026-11-21T10:00:04.0080000Z", (string?)observation["effectivePeriod"]!["end"]);
        Assert.Equal("urn:iso:std:iso:11073:10101", (string?)observation["code"]!["coding"]![0]!["system"]);
    }

    [Fact]
    public void Every_observation_has_a_provenance_naming_the_device_and_the_ingest_stage()
    {
        var resources = ObservationBuilder.Build([Sample(SampleTypes.Spo2, 97, "%"), Sample(SampleTypes.Steps with { Period = null }, 100, "{steps}")]);

        Assert.Equal(["Observation", "Provenance", "Observation", "Provenance"], resources.Select(r => (string?)r["resourceType"]));
        for (var i = 0; i < resources.Count; i += 2)
        {
            var provenance = resources[i + 1];
            Assert.Equal($"Observation/{resources[i]["id"]}", (string?)provenance["target"]![0]!["reference"]);
            Assert.Equal("Device/dev-1", (string?)provenance["agent"]![0]!["who"]!["reference"]);
            Assert.Equal("Patient/p1", (string?)provenance["agent"]![0]!["onBehalfOf"]!["reference"]);
        }
        Assert.Equal("activity", (string?)resources[2]["category"]![0]!["coding"]![0]!["code"]);
    }

    [Fact]
    public void Implausible_values_and_unit_conversions_are_visible_on_the_observation()
    {
        var sample = Sample(SampleTypes.BodyTemperature, 45, "Cel") with
        {
            Quality = SampleQuality.Implausible | SampleQuality.OutOfOrder,
            Conversion = new UnitConversion("[degF]", 113, "Cel", "[degF]->Cel: (v-32)*5/9"),
        };

        var observation = ObservationBuilder.Build([sample])[0];

        Assert.Equal("implausible+out-of-order", (string?)observation["interpretation"]![0]!["coding"]![0]!["code"]);
        Assert.Equal("Device reported 113 [degF]; converted [degF]->Cel: (v-32)*5/9", (string?)observation["note"]![0]!["text"]);
    }

    [Fact]
    public void The_transaction_puts_each_resource_at_its_id()
    {
        var resources = ObservationBuilder.Build([Sample(SampleTypes.HeartRate, 72, "/min")]);

        var bundle = ObservationBuilder.Transaction(resources);

        Assert.Equal("transaction", (string?)bundle["type"]);
        var entries = bundle["entry"]!.AsArray();
        Assert.Equal(2, entries.Count);
        foreach (var entry in entries)
        {
            var url = $"{entry!["resource"]!["resourceType"]}/{entry["resource"]!["id"]}";
            Assert.Equal("PUT", (string?)entry["request"]!["method"]);
            Assert.Equal(url, (string?)entry["request"]!["url"]);
            Assert.Equal(url, (string?)entry["fullUrl"]);
        }
    }

    [Fact]
    public async Task The_sink_splits_large_writes_into_bundles_without_separating_an_observation_from_its_provenance()
    {
        var writer = new RecordingWriter();
        var sink = new FhirObservationSink(writer, maxEntries: 5);
        var samples = Enumerable.Range(0, 5).Select(i => Sample(SampleTypes.HeartRate, 60 + i, "/min") with { Time = s_t0.AddSeconds(i) }).ToList();

        await sink.WriteAsync(samples, CancellationToken.None);

        Assert.Equal([4, 4, 2], writer.Bundles.Select(b => b["entry"]!.AsArray().Count));
        Assert.All(writer.Bundles.SelectMany(b => b["entry"]!.AsArray()).Chunk(2), pair =>
            Assert.Equal($"Observation/{pair[0]!["resource"]!["id"]}", (string?)pair[1]!["resource"]!["target"]![0]!["reference"]));
    }

    [Fact]
    public void A_mean_summary_has_the_window_as_period_the_mean_as_value_and_min_max_count_components()
    {
        var type = SampleTypes.HeartRate with { Period = TimeSpan.FromMinutes(5) };
        var start = new DateTimeOffset(2026, 11, 21, 10, 0, 0, TimeSpan.Zero);
        var aggregate = new WindowAggregate(0, 0, 0, 0, SampleQuality.None, "")
            .Add(Sample(type, 60, "/min")).Add(Sample(type, 90, "/min") with { Quality = SampleQuality.Implausible });

        var resources = ObservationBuilder.Summaries([new PeriodSummary("Patient/p1", type, start, start.AddMinutes(5), aggregate)]);

        var observation = resources[0];
        Assert.Equal(ObservationBuilder.SummaryId("Patient/p1", type, start.UtcTicks), (string?)observation["id"]);
        Assert.Equal("2026-11-21T10:05:00.0000000Z", (string?)observation["effectivePeriod"]!["end"]);
        Assert.Equal(75, (double)observation["valueQuantity"]!["value"]!);
        Assert.Equal([60.0, 90.0], observation["component"]!.AsArray().Take(2).Select(c => (double)c!["valueQuantity"]!["value"]!));
        Assert.Equal(2, (long)observation["component"]![2]!["valueInteger"]!);
        Assert.Equal("Device/dev-1", (string?)observation["device"]!["reference"]);
        Assert.Equal("implausible", (string?)observation["interpretation"]![0]!["coding"]![0]!["code"]);
        Assert.Null(observation["effectiveDateTime"]);
        Assert.Equal("Provenance", (string?)resources[1]["resourceType"]);
        Assert.Empty(ObservationBuilder.Build([Sample(type, 60, "/min")]));
    }

    private static CleanSample Sample(SampleType type, double value, string unit) =>
        new("Patient/p1", "dev-1", 1, type, s_t0, value, unit, SampleQuality.None);

    /// <summary>Keeps the Bundles the sink hands over (the bundling is what is under test, not a store).</summary>
    private sealed class RecordingWriter : IFhirWriter
    {
        public List<JsonObject> Bundles { get; } = [];

        public Task WriteTransactionAsync(JsonObject bundle, CancellationToken cancellationToken)
        {
            Bundles.Add(bundle);
            return Task.CompletedTask;
        }
    }
}
