using PatientStream.Analytics.Contracts;

namespace PatientStream.Analytics.Tests.Patients;

public sealed class PatientTrendAndQualityTests
{
    private static readonly DateTimeOffset s_t0 = PatientDriver.Start;

    private static List<AlertRecord> Alerts(PatientDriver driver, string kind) => driver.Sink.Alerts.Where(a => a.Kind == kind).ToList();

    [Fact]
    public async Task Resting_heart_rate_rising_over_two_days_raises_an_alert()
    {
        var driver = new PatientDriver();
        for (var day = 0; day < 6; day++)
        {
            var resting = day < 4 ? 60 : 75;
            for (var i = 0; i < 12; i++)
            {
                await driver.MeasureAsync(MeasurementCodes.HeartRate, s_t0.AddDays(day).AddHours(i), resting + (i % 3));
            }
        }

        Assert.Empty(Alerts(driver, "resting-heart-rate-rising"));

        await driver.MeasureAsync(MeasurementCodes.HeartRate, s_t0.AddDays(6), 80);

        var alert = Assert.Single(Alerts(driver, "resting-heart-rate-rising"));
        Assert.Equal(AlertTransition.Raised, alert.Transition);
        Assert.Contains("baseline 61", alert.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_steady_resting_heart_rate_raises_nothing()
    {
        var driver = new PatientDriver();
        for (var day = 0; day < 8; day++)
        {
            for (var i = 0; i < 12; i++)
            {
                await driver.MeasureAsync(MeasurementCodes.HeartRate, s_t0.AddDays(day).AddHours(i), 62 + (day % 2 * 3));
            }
        }

        Assert.Empty(Alerts(driver, "resting-heart-rate-rising"));
    }

    [Theory]
    [InlineData(true, 2)]
    [InlineData(false, 1)]
    public async Task Weight_gain_over_days_raises_an_alert_urgent_in_heart_failure(bool heartFailure, int severity)
    {
        var driver = new PatientDriver();
        await driver.SendAsync(new ClinicalContext(PatientDriver.Patient, s_t0, HypercapnicRespiratoryFailure: false, heartFailure));
        await driver.MeasureAsync(MeasurementCodes.BodyWeight, s_t0, 80.0);
        await driver.MeasureAsync(MeasurementCodes.BodyWeight, s_t0.AddDays(1), 80.6);
        await driver.MeasureAsync(MeasurementCodes.BodyWeight, s_t0.AddDays(2), 81.5);
        Assert.Empty(Alerts(driver, "weight-gain"));

        await driver.MeasureAsync(MeasurementCodes.BodyWeight, s_t0.AddDays(3), 82.4);

        var alert = Assert.Single(Alerts(driver, "weight-gain"));
        Assert.Equal(severity, alert.Severity);
        Assert.Equal("Weight up 2.4 kg within 3 days", alert.Summary);
    }

    [Fact]
    public async Task SpO2_drifting_down_over_days_raises_an_alert()
    {
        var driver = new PatientDriver();
        for (var day = 0; day < 3; day++)
        {
            for (var i = 0; i < 8; i++)
            {
                await driver.MeasureAsync(MeasurementCodes.OxygenSaturation, s_t0.AddDays(day).AddHours(i), 97);
            }
        }

        for (var i = 0; i < 5; i++)
        {
            await driver.MeasureAsync(MeasurementCodes.OxygenSaturation, s_t0.AddDays(3).AddHours(i), 93);
        }

        Assert.Empty(Alerts(driver, "spo2-drift"));
        await driver.MeasureAsync(MeasurementCodes.OxygenSaturation, s_t0.AddDays(3).AddHours(5), 93);

        var alert = Assert.Single(Alerts(driver, "spo2-drift"));
        Assert.Equal("Mean SpO2 93.0% against a baseline of 97.0%", alert.Summary);
    }

    [Fact]
    public async Task Redelivered_readings_do_not_count_twice_in_a_trend()
    {
        var driver = new PatientDriver();
        for (var day = 0; day < 3; day++)
        {
            for (var i = 0; i < 8; i++)
            {
                await driver.MeasureAsync(MeasurementCodes.OxygenSaturation, s_t0.AddDays(day).AddHours(i), 97);
            }
        }

        for (var i = 0; i < 5; i++)
        {
            await driver.MeasureAsync(MeasurementCodes.OxygenSaturation, s_t0.AddDays(3).AddHours(i), 93);
            await driver.MeasureAsync(MeasurementCodes.OxygenSaturation, s_t0.AddDays(3).AddHours(i), 93);
        }

        // Five distinct readings are not enough for a day's mean, however often they are delivered.
        Assert.Empty(Alerts(driver, "spo2-drift"));
    }

    [Fact]
    public async Task A_silent_device_is_alerted_and_resolved_once_data_flows_again()
    {
        var driver = new PatientDriver();
        await driver.MeasureAsync(MeasurementCodes.HeartRate, s_t0, 70);

        await driver.SendAsync(new ClockTick(PatientDriver.Patient, s_t0.AddMinutes(59)));
        Assert.Empty(Alerts(driver, "device-silent"));
        await driver.SendAsync(new ClockTick(PatientDriver.Patient, s_t0.AddMinutes(61)));
        await driver.SendAsync(new ClockTick(PatientDriver.Patient, s_t0.AddMinutes(65)));

        var raised = Assert.Single(Alerts(driver, "device-silent"));
        Assert.Equal(PatientDriver.Device, raised.Subject);
        Assert.Equal(AlertTransition.Raised, raised.Transition);

        await driver.MeasureAsync(MeasurementCodes.HeartRate, s_t0.AddMinutes(70), 70);
        await driver.MeasureAsync(MeasurementCodes.HeartRate, s_t0.AddMinutes(80), 70);
        Assert.Single(Alerts(driver, "device-silent"));
        await driver.MeasureAsync(MeasurementCodes.HeartRate, s_t0.AddMinutes(86), 70);

        var resolved = Alerts(driver, "device-silent")[^1];
        Assert.Equal(AlertTransition.Resolved, resolved.Transition);
        Assert.Equal(raised.AlertId, resolved.AlertId);
    }

    [Fact]
    public async Task A_battery_hovering_at_the_threshold_raises_one_alert_and_no_storm()
    {
        var driver = new PatientDriver();
        await driver.MeasureAsync(MeasurementCodes.DeviceBattery, s_t0, 50);
        for (var i = 1; i <= 10; i++)
        {
            await driver.MeasureAsync(MeasurementCodes.DeviceBattery, s_t0.AddMinutes(i), i % 2 == 0 ? 16 : 14);
        }

        var alert = Assert.Single(Alerts(driver, "device-low-battery"));
        Assert.Equal(AlertTransition.Raised, alert.Transition);

        await driver.MeasureAsync(MeasurementCodes.DeviceBattery, s_t0.AddMinutes(30), 90);
        await driver.MeasureAsync(MeasurementCodes.DeviceBattery, s_t0.AddMinutes(46), 90);
        Assert.Equal(AlertTransition.Resolved, Alerts(driver, "device-low-battery")[^1].Transition);
    }

    [Fact]
    public async Task Too_many_implausible_values_from_a_device_raise_an_alert()
    {
        var driver = new PatientDriver();
        for (var i = 0; i < 20; i++)
        {
            await driver.MeasureAsync(MeasurementCodes.HeartRate, s_t0.AddMinutes(i), 70);
        }

        for (var i = 0; i < 7; i++)
        {
            await driver.MeasureAsync(MeasurementCodes.HeartRate, s_t0.AddMinutes(20 + i), 400, MeasurementQuality.Implausible);
        }

        Assert.Empty(Alerts(driver, "implausible-values"));
        await driver.MeasureAsync(MeasurementCodes.HeartRate, s_t0.AddMinutes(27), double.NaN);

        var alert = Assert.Single(Alerts(driver, "implausible-values"));
        Assert.Equal("8 of the last 28 readings implausible", alert.Summary);
        Assert.Equal("admin", (string?)driver.Sink.All.OfType<Output.AlertChanged>().Last().Flag["category"]![0]!["coding"]![0]!["code"]);
    }

    [Fact]
    public async Task An_alert_that_stays_active_is_escalated_by_time_up_to_the_maximum_level()
    {
        var driver = new PatientDriver();
        for (var minute = 0; minute <= 180; minute += 5)
        {
            // Pulse 135 alone: a single red score, low-medium risk, for three hours.
            await driver.MeasureAsync(MeasurementCodes.HeartRate, s_t0.AddMinutes(minute), 135);
        }

        var alerts = Alerts(driver, "news2-risk");
        Assert.Equal(AlertTransition.Raised, alerts[0].Transition);
        Assert.Equal([1, 2, 3], alerts.Skip(1).Select(a => a.EscalationLevel));
        Assert.All(alerts.Skip(1), a => Assert.Equal(AlertTransition.Escalated, a.Transition));
    }
}
