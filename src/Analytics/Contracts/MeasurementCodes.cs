namespace PatientStream.Analytics.Contracts;

/// <summary>Codes the analytics understand (LOINC, plus local codes for device telemetry).</summary>
public static class MeasurementCodes
{
    /// <summary>Heart rate, /min.</summary>
    public const string HeartRate = "8867-4";
    /// <summary>Oxygen saturation by pulse oximetry, %.</summary>
    public const string OxygenSaturation = "59408-5";
    /// <summary>Respiratory rate, /min.</summary>
    public const string RespiratoryRate = "9279-1";
    /// <summary>Body temperature, Cel.</summary>
    public const string BodyTemperature = "8310-5";
    /// <summary>Systolic blood pressure, mm[Hg].</summary>
    public const string SystolicBloodPressure = "8480-6";
    /// <summary>Diastolic blood pressure, mm[Hg].</summary>
    public const string DiastolicBloodPressure = "8462-4";
    /// <summary>Body weight, kg.</summary>
    public const string BodyWeight = "29463-7";
    /// <summary>Inhaled oxygen flow rate, L/min: a value above zero means supplemental oxygen.</summary>
    public const string InhaledOxygenFlowRate = "3151-8";
    /// <summary>Level of consciousness (ACVPU), value = <see cref="News2.Consciousness"/> ordinal.</summary>
    public const string LevelOfConsciousness = "67775-7";
    /// <summary>Local code: device battery level, %.</summary>
    public const string DeviceBattery = "ps-device-battery";
}
