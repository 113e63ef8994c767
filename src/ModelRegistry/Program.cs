using JasperFx;
using ModelRegistry.Access;
using ModelRegistry.Admin;
using ModelRegistry.Catalog;
using ModelRegistry.Common;
using ModelRegistry.Downloads;
using ModelRegistry.Endpoints;
using ModelRegistry.Ui;

var builder = WebApplication.CreateBuilder(args);
builder.AddRegistryPlatform();
builder.AddTelemetryExport();
builder.Services.AddAccess();
builder.Services.AddCatalog();
builder.Services.AddDownloads(builder.Configuration);
builder.Services.AddEndpoints(builder.Configuration);
builder.Services.AddAdmin();

var app = builder.Build();
app.UseUi();
app.UseRegistryPlatform();
app.MapAccess();
app.MapCatalog();
app.MapDownloads();
app.MapEndpoints();
app.MapAdmin();
app.MapUi();

// No arguments runs the web server; `help` lists the commands (db-apply, keys, registry-projections, …).
return await app.RunJasperFxCommands(args);

public partial class Program;
