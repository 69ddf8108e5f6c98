using System.CommandLine;
using PatientStream.Consent.Cli;
using PatientStream.Host.Commands;

var root = new RootCommand("""
    PatientStream: patient-generated device data and clinical records as FHIR R4, gated at the edge by device
    attestation and patient consent.
    """)
{
    ServeCommand.Create(),
    DemoCommand.Create(),
    TestCommand.Create(),
    BenchCommand.Create(),
    DeviceCommand.Create(),
    EdgeCommand.Create(),
    IngestCommand.Create(),
    AnalyticsCommand.Create(),
    SimulateCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
