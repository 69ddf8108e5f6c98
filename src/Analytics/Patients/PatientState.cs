using System.Numerics;
using PatientStream.Analytics.Contracts;
using PatientStream.Analytics.News2;

namespace PatientStream.Analytics.Patients;

/// <summary>Data quality of one device of the patient.</summary>
internal sealed class DeviceQuality(string deviceId)
{
    public string DeviceId { get; } = deviceId;

    public DateTimeOffset LastSeen { get; set; }

    public double Battery { get; set; } = double.NaN;

    public long BatteryTicks { get; set; }

    /// <summary>One bit per recent reading, newest lowest; set = implausible.</summary>
    public ulong ImplausibleBits { get; set; }

    public int Recent { get; set; }

    public int ImplausibleCount => BitOperations.PopCount(ImplausibleBits);

    public void Record(bool implausible)
    {
        ImplausibleBits = (ImplausibleBits << 1) | (implausible ? 1UL : 0UL);
        Recent = Math.Min(Recent + 1, 64);
    }
}

/// <summary>Everything a patient actor remembers, and its compact snapshot form.</summary>
internal sealed class PatientState(PatientAnalyticsOptions options)
{
    private const byte FormatVersion = 1;
    private const int MaxDevices = 16;

    public bool HypercapnicRespiratoryFailure { get; set; }

    public bool HeartFailure { get; set; }

    /// <summary>Latest patient data time seen.</summary>
    public DateTimeOffset Clock { get; set; }

    /// <summary>Latest reading per NEWS2 parameter, indexed by <see cref="News2Parameter"/>.</summary>
    public News2Reading?[] Latest { get; } = new News2Reading?[Enum.GetValues<News2Parameter>().Length];

    /// <summary>Score, band and completeness of the last RiskAssessment published; score -1 before the first.</summary>
    public int LastScore { get; set; } = -1;

    public ClinicalRisk LastRisk { get; set; }

    public bool LastComplete { get; set; }

    public DailySeries Series { get; } = new();

    /// <summary>
    /// Time of the latest reading aggregated into the trends, per trend code (heart rate, SpO2, weight). A reading at
    /// or before it is a redelivery (at-least-once Kafka) or too late, and would count twice or skew a closed day.
    /// </summary>
    public long[] TrendTicks { get; } = new long[3];

    public List<DeviceQuality> Devices { get; } = [];

    public AlertBook Alerts { get; } = new(options);

    public DeviceQuality Device(string deviceId)
    {
        var device = Devices.Find(d => d.DeviceId == deviceId);
        if (device is not null)
        {
            return device;
        }

        if (Devices.Count == MaxDevices)
        {
            // Bounded memory: the device silent longest is forgotten first.
            Devices.Remove(Devices.MinBy(d => d.LastSeen)!);
        }

        device = new DeviceQuality(deviceId);
        Devices.Add(device);
        return device;
    }

    public void Write(SnapshotWriter w)
    {
        w.Byte(FormatVersion);
        w.Bool(HypercapnicRespiratoryFailure);
        w.Bool(HeartFailure);
        w.Time(Clock);
        w.Int32(LastScore);
        w.Byte((byte)LastRisk);
        w.Bool(LastComplete);
        foreach (var reading in Latest)
        {
            w.Bool(reading is not null);
            if (reading is not null)
            {
                w.Double(reading.Value);
                w.Time(reading.Time);
                w.String(reading.ObservationReference);
            }
        }

        foreach (var ticks in TrendTicks)
        {
            w.Int64(ticks);
        }

        w.Int32(Series.Days.Count);
        foreach (var day in Series.Days)
        {
            w.Int32(day.Day);
            w.Byte((byte)day.LowestCount);
            for (var i = 0; i < day.LowestCount; i++)
            {
                w.Int32(BitConverter.SingleToInt32Bits(day.LowestHeartRates[i]));
            }

            w.Double(day.SpO2Sum);
            w.Int32(day.SpO2Count);
            w.Double(day.Weight);
            w.Int64(day.WeightTicks);
        }

        w.Int32(Devices.Count);
        foreach (var device in Devices)
        {
            w.String(device.DeviceId);
            w.Time(device.LastSeen);
            w.Double(device.Battery);
            w.Int64(device.BatteryTicks);
            w.UInt64(device.ImplausibleBits);
            w.Byte((byte)device.Recent);
        }

        w.Int32(Alerts.Active.Count);
        foreach (var alert in Alerts.Active)
        {
            w.Byte((byte)alert.Kind);
            w.String(alert.Subject);
            w.Byte((byte)alert.Severity);
            w.Byte((byte)alert.EscalationLevel);
            w.Time(alert.RaisedAt);
            w.Time(alert.LastNotifiedAt);
            w.Bool(alert.ClearSince.HasValue);
            w.Time(alert.ClearSince.GetValueOrDefault());
            w.Int32(alert.Occurrences);
            w.String(alert.Summary);
        }
    }

    public void Read(ref SnapshotReader r)
    {
        var version = r.Byte();
        if (version != FormatVersion)
        {
            throw new FormatException($"Patient snapshot format {version} is not supported.");
        }

        HypercapnicRespiratoryFailure = r.Bool();
        HeartFailure = r.Bool();
        Clock = r.Time();
        LastScore = r.Int32();
        LastRisk = (ClinicalRisk)r.Byte();
        LastComplete = r.Bool();
        for (var i = 0; i < Latest.Length; i++)
        {
            Latest[i] = r.Bool() ? new News2Reading((News2Parameter)i, r.Double(), r.Time(), r.String()) : null;
        }

        for (var i = 0; i < TrendTicks.Length; i++)
        {
            TrendTicks[i] = r.Int64();
        }

        var days = r.Int32();
        for (var i = 0; i < days; i++)
        {
            var day = new DayStats(r.Int32()) { LowestCount = r.Byte() };
            for (var j = 0; j < day.LowestCount; j++)
            {
                day.LowestHeartRates[j] = BitConverter.Int32BitsToSingle(r.Int32());
            }

            day.SpO2Sum = r.Double();
            day.SpO2Count = r.Int32();
            day.Weight = r.Double();
            day.WeightTicks = r.Int64();
            Series.Add(day);
        }

        var devices = r.Int32();
        for (var i = 0; i < devices; i++)
        {
            Devices.Add(new DeviceQuality(r.String()!)
            {
                LastSeen = r.Time(),
                Battery = r.Double(),
                BatteryTicks = r.Int64(),
                ImplausibleBits = r.UInt64(),
                Recent = r.Byte(),
            });
        }

        var alerts = r.Int32();
        for (var i = 0; i < alerts; i++)
        {
            var alert = new AlertState((AlertKind)r.Byte(), r.String()!) { Severity = r.Byte(), EscalationLevel = r.Byte() };
            alert.RaisedAt = r.Time();
            alert.LastNotifiedAt = r.Time();
            var cleared = r.Bool();
            var clearSince = r.Time();
            alert.ClearSince = cleared ? clearSince : null;
            alert.Occurrences = r.Int32();
            alert.Summary = r.String() ?? "";
            Alerts.Restore(alert);
        }
    }
}
