/** The Management API's error answers, as API Gateway sends them (the SDK reads the type from x-amzn-errortype). */
export interface ManagementRefusal {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export const managementError = (status: number, errorType: string, message: string): ManagementRefusal => ({
  status,
  headers: { 'content-type': 'application/json', 'x-amzn-errortype': errorType },
  body: JSON.stringify({ message }),
});

export const goneError = (connectionId: string): ManagementRefusal => managementError(410, 'GoneException', `connection ${connectionId} is gone`);
