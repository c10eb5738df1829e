/** The connection doctor's public surface, for the language server and the command line. */

export { runDoctor, type DoctorOptions } from './doctor';
export { renderDoctorJson, renderDoctorMarkdown, renderDoctorText } from './render';
export { STEP_IDS, type DoctorReport, type DoctorStep, type StepId, type StepStatus } from './report';
