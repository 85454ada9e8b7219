import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RewakeStack } from './infra/aws/rewake-stack';
import { defaultConfig } from './shared/config';
const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
const stack = new RewakeStack(app, 'Rewake', { config: defaultConfig() });
const t = Template.fromStack(stack).toJSON();
const counts: Record<string, number> = {};
for (const r of Object.values<any>(t.Resources)) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
console.log(counts, Object.keys(t.Resources).length);
for (const [id, r] of Object.entries<any>(t.Resources)) {
  if (r.Type === 'AWS::StepFunctions::StateMachine') { const p = { ...r.Properties }; console.log(id, JSON.stringify(p.DefinitionString).slice(0, 200)); delete p.DefinitionString; console.log(JSON.stringify(p, null, 1)); }
  if (r.Type === 'AWS::IAM::Policy') console.log(id, JSON.stringify(r.Properties.Roles), JSON.stringify(r.Properties.PolicyDocument.Statement.map((s: any) => [s.Action, s.Resource])));
}
console.log(Object.keys(t.Outputs));
const sm = Object.values<any>(t.Resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine');
const parts = sm.Properties.DefinitionString['Fn::Join'][1].map((p: any) => typeof p === 'string' ? p : '"<' + JSON.stringify(p).replace(/"/g, "'") + '>"');
console.log(JSON.stringify(JSON.parse(parts.join('')), null, 1));
for (const r of Object.values<any>(t.Resources)) if (r.Type === 'AWS::Scheduler::Schedule' || r.Type === 'AWS::Lambda::EventSourceMapping' || r.Type==='AWS::CloudWatch::Alarm' || r.Type==='AWS::Logs::LogGroup') console.log(r.Type, JSON.stringify(r.Properties));
