using PatientStream.EdgeAgent.Simulation;

namespace PatientStream.Host.Demo;

/// <summary>
/// The maker of the demo's wearables. The site trusts it the way a hospital trusts a vendor it buys from: its root
/// certificate goes into serve's <c>manufacturer-roots</c> folder, which serve reads at start, so this runs first.
/// </summary>
internal static class DemoManufacturer
{
    public static void Prepare(DemoLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        using var manufacturer = SimulatedManufacturer.LoadOrCreate(layout.Manufacturer);
        File.WriteAllText(Path.Combine(layout.ManufacturerRoots, "demo-wearables.crt.pem"), manufacturer.RootCertificatePem);
    }
}
