namespace PatientStream.Analytics.Patients;

/// <summary>What one (UTC) day contributed to the trends.</summary>
internal sealed class DayStats(int day)
{
    public const int MaxRestingSamples = 16;

    /// <summary>Days since 0001-01-01 (UTC).</summary>
    public int Day { get; } = day;

    /// <summary>The day's lowest heart rates, ascending; their mean is the resting heart rate.</summary>
    public float[] LowestHeartRates { get; } = new float[MaxRestingSamples];

    public int LowestCount { get; set; }

    public double SpO2Sum { get; set; }

    public int SpO2Count { get; set; }

    public double Weight { get; set; } = double.NaN;

    public long WeightTicks { get; set; }

    public void AddHeartRate(double rate, int keep)
    {
        var value = (float)rate;
        if (LowestCount == keep && value >= LowestHeartRates[keep - 1])
        {
            return;
        }

        var i = Math.Min(LowestCount, keep - 1);
        while (i > 0 && LowestHeartRates[i - 1] > value)
        {
            LowestHeartRates[i] = LowestHeartRates[i - 1];
            i--;
        }

        LowestHeartRates[i] = value;
        LowestCount = Math.Min(LowestCount + 1, keep);
    }

    /// <summary>Mean of the lowest readings, or NaN until the day has enough of them.</summary>
    public double RestingHeartRate(int keep)
    {
        if (LowestCount < keep)
        {
            return double.NaN;
        }

        var sum = 0d;
        for (var i = 0; i < keep; i++)
        {
            sum += LowestHeartRates[i];
        }

        return sum / keep;
    }

    public void AddWeight(double kg, DateTimeOffset time)
    {
        // The latest weighing of the day counts: a patient re-weighing after a wrong reading corrects it.
        if (double.IsNaN(Weight) || time.UtcTicks >= WeightTicks)
        {
            Weight = kg;
            WeightTicks = time.UtcTicks;
        }
    }
}

/// <summary>The last <see cref="Capacity"/> days of trend data, oldest first.</summary>
internal sealed class DailySeries
{
    public const int Capacity = 10;
    private readonly List<DayStats> _days = new(Capacity);

    public IReadOnlyList<DayStats> Days => _days;

    public static int DayOf(DateTimeOffset time) => (int)(time.UtcTicks / TimeSpan.TicksPerDay);

    /// <summary>The day's stats, created if needed; null for a day older than the window.</summary>
    public DayStats? For(DateTimeOffset time)
    {
        var day = DayOf(time);
        for (var i = _days.Count - 1; i >= 0; i--)
        {
            if (_days[i].Day == day)
            {
                return _days[i];
            }

            if (_days[i].Day < day)
            {
                return Insert(i + 1, day);
            }
        }

        return _days.Count < Capacity ? Insert(0, day) : null;
    }

    public DayStats? Find(int day) => _days.Find(d => d.Day == day);

    public void Add(DayStats stats) => _days.Add(stats);

    private DayStats Insert(int index, int day)
    {
        var stats = new DayStats(day);
        _days.Insert(index, stats);
        while (_days.Count > Capacity)
        {
            _days.RemoveAt(0);
        }

        return stats;
    }
}
