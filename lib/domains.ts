/**
 * A custom domain in front of one API stage: the API Gateway domain name
 * (regional, TLS 1.2, with an ACM certificate of the stack's region), its
 * mapping at the root, and — when the stack is given the Route 53 hosted zone —
 * the alias records. Without a zone the operator points a CNAME at
 * `regionalDomainName` (the stack prints it).
 */
import { CfnOutput } from 'aws-cdk-lib';
import { ApiMapping, DomainName, SecurityPolicy, type IApi, type IStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { AaaaRecord, ARecord, HostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { ApiGatewayv2DomainProperties } from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';

export interface HostedZoneSettings {
  readonly hostedZoneId: string;
  readonly zoneName: string;
}

export interface DomainSettings {
  /** e.g. `chat.example.com` */
  readonly domainName: string;
  /** An ACM certificate for the name, in the stack's region. */
  readonly certificateArn: string;
  /** Where to create the alias records. @default none: the DNS record is the operator's */
  readonly zone?: HostedZoneSettings;
}

export interface CustomDomainProps extends DomainSettings {
  readonly api: IApi;
  readonly stage: IStage;
  /** What the domain serves, for the output's description. */
  readonly serves: string;
}

export class CustomDomain extends Construct {
  readonly domain: DomainName;
  readonly domainName: string;

  constructor(scope: Construct, id: string, props: CustomDomainProps) {
    super(scope, id);
    this.domainName = props.domainName;
    this.domain = new DomainName(this, 'Name', {
      domainName: props.domainName,
      certificate: Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn),
      securityPolicy: SecurityPolicy.TLS_1_2,
    });
    new ApiMapping(this, 'Mapping', { api: props.api, domainName: this.domain, stage: props.stage });
    if (props.zone) {
      const zone = HostedZone.fromHostedZoneAttributes(this, 'Zone', props.zone);
      const target = RecordTarget.fromAlias(new ApiGatewayv2DomainProperties(this.domain.regionalDomainName, this.domain.regionalHostedZoneId));
      new ARecord(this, 'A', { zone, recordName: props.domainName, target });
      new AaaaRecord(this, 'Aaaa', { zone, recordName: props.domainName, target });
    } else {
      new CfnOutput(this, 'DnsTarget', {
        value: this.domain.regionalDomainName,
        description: `Point a CNAME for ${props.domainName} (${props.serves}) here.`,
      });
    }
  }
}
