import { mount } from "svelte";
import "./app.css";
import App from "./App.svelte";
import { commands } from "./lib/commands";
import { useDateLocale } from "./lib/format";

const target = document.getElementById("app");
if (!target) throw new Error("missing #app element");

// Dates in the system's regional format: asked of the shell before the first page is drawn (a failure
// leaves the web view's own).
try {
  useDateLocale(await commands.dateLocale());
} catch {
  // The web view's default stands.
}

export default mount(App, { target });
