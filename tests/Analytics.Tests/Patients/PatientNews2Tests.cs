using System.Text.Json.Nodes;
using PatientStream.Analytics.Contracts;
using PatientStream.Analytics.News2;
using PatientStream.Analytics.Output;

namespace PatientStream.Analytics.Tests.Patients;

public sealed class PatientNews2Tests
{
    private static readonly DateTimeOffset s_t0 = PatientDriver.Start;

    [Fact]
    public async Task A_RiskAssessment_is_published_only_when_the_score_or_band_changes()
    {
        var driver = new PatientDriver();

        await driver.VitalsAsync(s_t0, 18, 97, false, 125, 78, 37.0);
        var afterFirstSet = driver.Sink.Risks.Count();
        await driver.VitalsAsync(s_t0.AddMinutes(10), 18, 97, false, 125, 78, 37.0);
        Assert.Equal(afterFirstSet, driver.Sink.Risks.Count());

        await driver.MeasureAsync(MeasurementCodes.HeartRate, s_t0.AddMinutes(20), 95);

        var last = driver.Sink.Risks.Last();
        Assert.Equal(afterFirstSet + 1, driver.Sink.Risks.Count());
        Assert.Equal(1, last.Result.AggregateScore);
        Assert.True(last.Result.IsComplete);
        Assert.Equal(ClinicalRisk.Low, last.Result.Risk);
    }

    [Fact]
    public async Task The_RiskAssessment_carries_method_score_band_and_basis()
    {
        var driver = new PatientDriver();

        await driver.VitalsAsync(s_t0, 24, 93, true, 100, 115, 38.5);

        var risk = driver.Sink.Risks.Last();
        Assert.Equal(11, risk.Result.AggregateScore);
        var json = risk.RiskAssessment;
        Assert.Equal("RiskAssessment", (string?)json["resourceType"]);
        Assert.Equal("final", (string?)json["status"]);
        Assert.Equal("NEWS2", (string?)json["method"]!["text"]);
        Assert.Equal("NEWS2", (string?)json["method"]!["coding"]![0]!["code"]);
        Assert.Equal("Patient/" + PatientDriver.Patient, (string?)json["subject"]!["reference"]);
        Assert.Equal(11, (int?)json["extension"]![0]!["valueInteger"]);
        Assert.Equal(FhirResources.News2ScoreExtension, (string?)json["extension"]![0]!["url"]);
        var qualitative = json["prediction"]![0]!["qualitativeRisk"]!["coding"]!.AsArray();
        Assert.Equal("high", (string?)qualitative[0]!["code"]);
        Assert.Equal("high", (string?)qualitative[1]!["code"]);
        Assert.Equal(7, json["basis"]!.AsArray().Count);
        Assert.All(json["basis"]!.AsArray(), b => Assert.StartsWith("Observation/", (string?)b!["reference"], StringComparison.Ordinal));
        Assert.Equal("2026-11-02T06:00:00.000Z", (string?)json["occurrenceDateTime"]);
        Assert.Matches("^[a-f0-9]{32}$", (string?)json["id"]);
    }

    [Fact]
    public async Task A_partial_set_gives_a_preliminary_assessment_naming_what_is_missing()
    {
        var driver = new PatientDriver();

        await driver.MeasureAsync(MeasurementCodes.HeartRate, s_t0, 135);
        await driver.MeasureAsync(MeasurementCodes.OxygenSaturation, s_t0, 95);

        var risk = driver.Sink.Risks.Last();
        Assert.Equal(4, risk.Result.AggregateScore);
        Assert.Equal(ClinicalRisk.LowMedium, risk.Result.Risk);
        Assert.Equal("preliminary", (string?)risk.RiskAssessment["status"]);
        var note = (string?)risk.RiskAssessment["note"]![0]!["text"];
        Assert.Contains("RespirationRate", note, StringComparison.Ordinal);
        Assert.Contains("air assumed", note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hypercapnic_respiratory_failure_on_record_switches_to_scale_2()
    {
        var driver = new PatientDriver();
        await driver.VitalsAsync(s_t0, 18, 89, false, 125, 78, 37.0);
        Assert.Equal(3, driver.Sink.Risks.Last().Result.AggregateScore);

        await driver.SendAsync(new ClinicalContext(PatientDriver.Patient, s_t0, HypercapnicRespiratoryFailure: true, HeartFailure: false));

        var rescored = driver.Sink.Risks.Last();
        Assert.Equal(SpO2Scale.Scale2, rescored.Result.Scale);
        Assert.Equal(0, rescored.Result.AggregateScore);
    }

    [Fact]
    public async Task Implausible_and_late_readings_are_not_scored()
    {
        var driver = new PatientDriver();
        await driver.MeasureAsync(MeasurementCodes.HeartRate, s_t0.AddMinutes(5), 80);
        var published = driver.Sink.Risks.Count();

        await driver.MeasureAsync(MeasurementCodes.HeartRate, s_t0.AddMinutes(6), 300, MeasurementQuality.Implausible);
        await driver.MeasureAsync(MeasurementCodes.HeartRate, s_t0, 150);

        Assert.Equal(published, driver.Sink.Risks.Count());
        Assert.Equal(0, driver.Sink.Risks.Last().Result.AggregateScore);
    }

    [Fact]
    public async Task A_deteriorating_patient_is_alerted_once_escalated_then_resolved_without_a_storm()
    {
        var driver = new PatientDriver();
        var t = s_t0;
        // Two hours well, then deterioration, then recovery; a full set every 5 minutes.
        for (var i = 0; i < 24; i++, t = t.AddMinutes(5))
        {
            await driver.VitalsAsync(t, 16, 97, false, 125, 75, 37.0);
        }

        for (var i = 0; i < 12; i++, t = t.AddMinutes(5))
        {
            await driver.VitalsAsync(t, 22, 94, false, 105, 105, 38.2);
        }

        for (var i = 0; i < 12; i++, t = t.AddMinutes(5))
        {
            await driver.VitalsAsync(t, 26, 91, true, 95, 125, 39.2);
        }

        for (var i = 0; i < 12; i++, t = t.AddMinutes(5))
        {
            await driver.VitalsAsync(t, 16, 97, false, 125, 75, 37.0);
        }

        var news2Alerts = driver.Sink.Alerts.Where(a => a.Kind == "news2-risk").ToList();
        Assert.Equal(AlertTransition.Raised, news2Alerts[0].Transition);
        Assert.Equal(2, news2Alerts[0].Severity);
        Assert.Contains(news2Alerts, a => a.Transition == AlertTransition.Escalated && a.Severity == 3);
        Assert.Equal(AlertTransition.Resolved, news2Alerts[^1].Transition);
        // One episode, one id, a handful of records for 36 evaluations in alarm.
        Assert.Single(news2Alerts.Select(a => a.AlertId).Distinct());
        Assert.InRange(news2Alerts.Count, 3, 6);
        Assert.True(news2Alerts[^2].Occurrences > 20);
        var flag = driver.Sink.All.OfType<AlertChanged>().Last(a => a.Alert.Kind == "news2-risk").Flag;
        Assert.Equal("inactive", (string?)flag["status"]);
        Assert.NotNull(flag["period"]!["end"]);
        Assert.Contains(driver.Sink.Risks, r => r.Result.Risk == ClinicalRisk.High);
        Assert.Equal(ClinicalRisk.Low, driver.Sink.Risks.Last().Result.Risk);
    }

    [Fact]
    public async Task State_survives_a_snapshot_round_trip_without_repeating_output()
    {
        var driver = new PatientDriver();
        await driver.VitalsAsync(s_t0, 26, 91, true, 95, 125, 39.2);
        var before = driver.Sink.All.Count;

        var size = driver.Reincarnate();
        await driver.VitalsAsync(s_t0.AddMinutes(5), 26, 91, true, 95, 125, 39.2);

        Assert.Equal(before, driver.Sink.All.Count);
        Assert.InRange(size, 1, 2048);
    }

    [Fact]
    public async Task Replayed_messages_change_state_but_publish_nothing()
    {
        var driver = new PatientDriver();

        await driver.SendAsync(new Measurement(PatientDriver.Patient, PatientDriver.Device, MeasurementCodes.HeartRate, s_t0, 140, "/min"), replay: true);
        Assert.Empty(driver.Sink.All);

        await driver.MeasureAsync(MeasurementCodes.HeartRate, s_t0.AddMinutes(1), 141);
        // The replayed reading already set score 3 and raised the alert; the live one changes neither.
        Assert.Empty(driver.Sink.All);
    }

    [Fact]
    public void Alert_records_round_trip_as_json_with_stable_codes()
    {
        var record = new AlertRecord("a1", "p", "news2-risk", "", AlertTransition.Escalated, 3, 1, s_t0, s_t0.AddMinutes(5), 4, "NEWS2 7");

        var json = record.ToJsonUtf8();

        var node = JsonNode.Parse(json)!;
        Assert.Equal("escalated", (string?)node["transition"]);
        Assert.Equal("news2-risk", (string?)node["kind"]);
        Assert.Equal(record, AlertRecord.FromJsonUtf8(json));
    }
}
